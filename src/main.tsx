// Entry point: render the shell, then start the GPU worker (the store checks WebGPU first).
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { appStore } from './store';
import { App } from './ui/App';
import { installAutomation } from './ui/decode/automation';
import './ui/app.css';

const container = document.getElementById('root');
if (!container) throw new Error('index.html has no element with id "root" to mount LogitLab into.');

createRoot(container).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

installAutomation(appStore);
void appStore.getState().connect();
