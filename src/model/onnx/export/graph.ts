// A small builder for ONNX graphs on top of `onnx-proto` (the protobuf classes of onnx 1.10,
// IR version 8): named nodes, f32 and int64 initializers, graph inputs and outputs with symbolic
// dimensions, and a deterministic encoding (same model in, same bytes out). Dev tool: only the
// exporter imports it.
import * as onnxProtoModule from 'onnx-proto';

// onnx-proto is CommonJS: Node's ESM loader exposes it only as `default`, bundlers also as named
// exports. The type is the named namespace either way.
type OnnxNamespace = typeof onnxProtoModule.onnx;
const moduleValue = onnxProtoModule as unknown as { onnx?: OnnxNamespace; default?: { onnx: OnnxNamespace } };
export const onnx: OnnxNamespace = moduleValue.onnx ?? moduleValue.default!.onnx;

export type Dim = number | string;
export type ElementType = 'float32' | 'float16' | 'int64' | 'bool';

const ELEMENT_TYPE: Record<ElementType, number> = { float32: 1, int64: 7, bool: 9, float16: 10 };

/** IR version 8 is what onnx 1.10..1.13 write; opset 17 is valid with it (onnx 1.12). */
export const IR_VERSION = 8;
export const OPSET = 17;

type AttributeValue = number | number[] | string;
type Attributes = Record<string, AttributeValue | { float: number } | { floats: number[] }>;

function attribute(name: string, value: Attributes[string]): InstanceType<OnnxNamespace['AttributeProto']> {
  const { AttributeType } = onnx.AttributeProto;
  if (typeof value === 'string') {
    return onnx.AttributeProto.create({
      name,
      type: AttributeType.STRING,
      s: new TextEncoder().encode(value),
    });
  }
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`attribute ${name}: use { float } for ${value}`);
    return onnx.AttributeProto.create({ name, type: AttributeType.INT, i: value });
  }
  if (Array.isArray(value))
    return onnx.AttributeProto.create({ name, type: AttributeType.INTS, ints: value });
  if ('float' in value)
    return onnx.AttributeProto.create({ name, type: AttributeType.FLOAT, f: value.float });
  return onnx.AttributeProto.create({ name, type: AttributeType.FLOATS, floats: value.floats });
}

function valueInfo(name: string, type: ElementType, dims: readonly Dim[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: ELEMENT_TYPE[type],
        shape: onnx.TensorShapeProto.create({
          dim: dims.map((d) =>
            typeof d === 'number'
              ? onnx.TensorShapeProto.Dimension.create({ dimValue: d })
              : onnx.TensorShapeProto.Dimension.create({ dimParam: d }),
          ),
        }),
      }),
    }),
  });
}

function rawBytes(values: Float32Array | BigInt64Array): Uint8Array {
  // Little-endian on every platform we run on (x86, ARM); ONNX raw_data is little-endian.
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice();
}

export class GraphBuilder {
  private readonly nodes: InstanceType<OnnxNamespace['NodeProto']>[] = [];
  private readonly initializers: InstanceType<OnnxNamespace['TensorProto']>[] = [];
  private readonly inputs: InstanceType<OnnxNamespace['ValueInfoProto']>[] = [];
  private readonly outputs: InstanceType<OnnxNamespace['ValueInfoProto']>[] = [];
  private readonly names = new Set<string>();
  private counter = 0;

  /** A fresh value name under `prefix` ("/model/layers.0/attn/q"). */
  private fresh(prefix: string): string {
    let name = prefix;
    while (this.names.has(name)) name = `${prefix}_${++this.counter}`;
    this.names.add(name);
    return name;
  }

  input(name: string, type: ElementType, dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(this.fresh(name), type, dims));
    return name;
  }

  /** Declares `value` (already computed) as the graph output `name` through an Identity when renamed. */
  output(name: string, value: string, type: ElementType, dims: readonly Dim[]): void {
    if (value !== name) this.node('Identity', [value], { name, outputs: [name] });
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** An f32 initializer of the given dims (row-major). */
  weight(name: string, values: Float32Array, dims: readonly number[]): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (count !== values.length) {
      throw new Error(
        `initializer ${name}: ${values.length} values for dims [${dims.join(', ')}] (${count})`,
      );
    }
    const tensorName = this.fresh(name);
    this.initializers.push(
      onnx.TensorProto.create({ name: tensorName, dims: [...dims], dataType: 1, rawData: rawBytes(values) }),
    );
    return tensorName;
  }

  /** An int64 initializer (shapes, axes, indices). */
  ints(name: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    const tensorName = this.fresh(name);
    this.initializers.push(
      onnx.TensorProto.create({
        name: tensorName,
        dims: [...dims],
        dataType: 7,
        rawData: rawBytes(BigInt64Array.from(values.map(BigInt))),
      }),
    );
    return tensorName;
  }

  /** A scalar f32 initializer. */
  scalar(name: string, value: number): string {
    return this.weight(name, Float32Array.of(value), []);
  }

  /**
   * Appends a node; returns its first output's name. `options.outputs` names the outputs
   * (default: one fresh name from `options.name`); `options.count` asks for several fresh outputs.
   */
  node(
    op: string,
    inputs: readonly string[],
    options: { name?: string; attributes?: Attributes; outputs?: string[]; count?: number } = {},
  ): string {
    return this.nodeOutputs(op, inputs, options)[0];
  }

  nodeOutputs(
    op: string,
    inputs: readonly string[],
    options: { name?: string; attributes?: Attributes; outputs?: string[]; count?: number } = {},
  ): string[] {
    const base = options.name ?? `/${op}`;
    const outputs =
      options.outputs?.map((o) => this.fresh(o)) ??
      Array.from({ length: options.count ?? 1 }, (_, i) =>
        this.fresh(i === 0 ? `${base}_output` : `${base}_output_${i}`),
      );
    this.nodes.push(
      onnx.NodeProto.create({
        name: this.fresh(`${base}#node`),
        opType: op,
        input: [...inputs],
        output: outputs,
        attribute: Object.entries(options.attributes ?? {}).map(([key, value]) => attribute(key, value)),
      }),
    );
    return outputs;
  }

  /** The encoded ModelProto. */
  encode(graphName: string, producer: string): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: OPSET })],
      producerName: producer,
      graph: onnx.GraphProto.create({
        name: graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      }),
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
