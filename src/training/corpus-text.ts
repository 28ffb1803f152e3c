// The built-in training corpus: short fables retold in plain English for this project (the stories
// are ancient and in the public domain; this wording is LogitLab's own, under the repo's license).
// About 6 KB of simple, repetitive prose: enough for a character-level model of a few hundred
// thousand parameters to learn spelling, spacing and common words in a few hundred steps, small
// enough to ship inside the bundle so training works offline.

export const BUILTIN_CORPUS_NAME = 'Fables (built-in)';

export const BUILTIN_CORPUS_TEXT = `The Fox and the Grapes

A hungry fox came into a garden and saw a bunch of ripe grapes hanging high on a vine. He jumped
for them, but he could not reach them. He jumped again and again, and each time he missed. At last
he walked away and said to himself, "Those grapes are sour. I did not want them anyway."
It is easy to scorn what you cannot have.

The Ant and the Grasshopper

All summer long the grasshopper sang in the sun, and all summer long the ant carried grain to her
nest. "Why do you work so hard?" asked the grasshopper. "Come and sing with me." The ant said,
"I am putting food away for the winter, and you should do the same." The grasshopper laughed and
went on singing. When the winter came, the grasshopper had nothing to eat, and the ant had plenty.
Work today for the needs of tomorrow.

The Tortoise and the Hare

The hare laughed at the tortoise because he was so slow. "Let us run a race," said the tortoise,
"and we will see who is slow." The hare ran far ahead, and then he lay down under a tree to sleep.
The tortoise did not stop. He walked and walked, slowly and steadily, past the sleeping hare. When
the hare woke up, the tortoise was already at the end of the road.
Slow and steady wins the race.

The Lion and the Mouse

A lion was sleeping in the forest when a little mouse ran over his nose. The lion woke up and
caught the mouse under his paw. "Please let me go," said the mouse, "and one day I will help you."
The lion laughed, but he let the mouse go. Some days later the lion was caught in a hunter's net.
He roared and roared, but he could not get out. The mouse heard him, ran to the net, and chewed
the ropes until the lion was free.
A kindness is never wasted, and the small can help the great.

The Crow and the Pitcher

A thirsty crow found a pitcher with a little water at the bottom. She put her beak into the
pitcher, but she could not reach the water. Then she had an idea. She picked up a small stone and
dropped it into the pitcher. She dropped another stone, and another, and another. The water rose
higher and higher, until at last the crow could drink.
Little by little does the trick.

The Boy Who Cried Wolf

A shepherd boy was watching the sheep near the village. He was bored, so he ran down the hill and
cried, "Wolf! Wolf!" The people came running to help him, but there was no wolf. The boy laughed
at them. The next day he did the same thing, and again the people came, and again there was no
wolf. Then one evening a wolf really came out of the forest. The boy cried, "Wolf! Wolf!" but this
time nobody came, and the wolf took the sheep.
Nobody believes a liar, even when he tells the truth.

The North Wind and the Sun

The north wind and the sun argued about which of them was stronger. They saw a man walking on the
road in a warm coat. "Whoever can take the coat off that man is the stronger," said the sun. The
wind blew as hard as he could, but the harder he blew, the more tightly the man held his coat. Then
the sun came out and shone warmly on the man. Soon the man was so warm that he took off his coat
and sat down in the shade.
Gentle words do more than force.

The Dog and His Shadow

A dog was carrying a piece of meat across a bridge over a stream. He looked down and saw his own
shadow in the water, and he thought it was another dog with a bigger piece of meat. He opened his
mouth to snap at the other piece, and his own meat fell into the water and was gone.
If you want too much, you may lose what you have.

The Town Mouse and the Country Mouse

A country mouse invited his cousin from the town to dinner. He gave him beans and bread and a
little cheese. The town mouse said, "How can you live like this? Come to the town with me, and you
will eat like a king." So they went to the town, to a big house, and they found cakes and jam and
meat on the table. But as soon as they began to eat, a door opened and a cat came in. The mice ran
and hid in a small hole. When the cat was gone, the country mouse said, "Good-bye, cousin. I would
rather eat beans in peace than cakes in fear."
A simple life in peace is better than a rich life in fear.

The Goose That Laid the Golden Eggs

A farmer had a goose that laid a golden egg every morning. The farmer grew rich, but he also grew
greedy. He thought, "If the goose lays golden eggs, she must be full of gold inside." So he killed
the goose and opened her up, but there was no gold inside at all. Now he had no goose and no eggs.
Those who want everything at once may end with nothing.

The Wolf in Sheep's Clothing

A wolf found the skin of a sheep and put it on. He walked in among the sheep, and the shepherd did
not see him. Every night the wolf took one of the sheep. But one evening the shepherd wanted meat
for his dinner, and in the dark he took the wolf by mistake.
Appearances can deceive, and harm can come back to the one who does it.

The Hen and the Fox

A fox saw a hen sitting high in a tree. "Good news," said the fox. "All the animals have agreed to
live in peace. Come down and let us be friends." The hen looked far down the road and said, "I see
some dogs coming this way. They must have heard the good news too." The fox ran off at once. "Why
do you run?" asked the hen. "I am not sure the dogs have heard the news yet," said the fox.
A clever trick can be turned against the one who plays it.
`;
