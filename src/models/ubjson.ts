/**
 * XGBoost's UBJSON model format (`model.ubj`, what `Booster.save_model("model.ubj")` writes
 * and MLflow's `mlflow.xgboost.save_model` uses by default), encoded from the XGBoost JSON
 * model. The layout is XGBoost's own: big-endian numbers; object keys as an int64 length and
 * bytes, sorted (XGBoost keeps objects in a sorted map); strings `S` + int64 length; arrays
 * with a count (`[#L n`), the tree fields as typed arrays (`[$d#L n` float32, `$l` int32,
 * `$L` int64, `$U` uint8); integers in the smallest of int8/int16/int32/int64.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The typed arrays of a tree, by field name, as XGBoost writes them. */
const TYPED_TREE_FIELDS: Record<string, 'd' | 'l' | 'L' | 'U'> = {
  base_weights: 'd',
  loss_changes: 'd',
  split_conditions: 'd',
  sum_hessian: 'd',
  categories: 'l',
  categories_nodes: 'l',
  left_children: 'l',
  parents: 'l',
  right_children: 'l',
  split_indices: 'l',
  categories_segments: 'L',
  categories_sizes: 'L',
  default_left: 'U',
  split_type: 'U',
};

class Writer {
  private buf = Buffer.alloc(1 << 16);
  private n = 0;

  private room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.n + k));
    this.buf.copy(next, 0, 0, this.n);
    this.buf = next;
  }

  byte(c: string): void {
    this.room(1);
    this.buf[this.n++] = c.charCodeAt(0);
  }

  int64(v: number): void {
    this.room(8);
    this.buf.writeBigInt64BE(BigInt(v), this.n);
    this.n += 8;
  }

  length(len: number): void {
    this.byte('L');
    this.int64(len);
  }

  raw(bytes: Buffer): void {
    this.room(bytes.length);
    bytes.copy(this.buf, this.n);
    this.n += bytes.length;
  }

  integer(v: number): void {
    this.room(9);
    if (v >= -128 && v <= 127) {
      this.buf[this.n++] = 0x69; // 'i'
      this.buf.writeInt8(v, this.n);
      this.n += 1;
    } else if (v >= -32768 && v <= 32767) {
      this.buf[this.n++] = 0x49; // 'I'
      this.buf.writeInt16BE(v, this.n);
      this.n += 2;
    } else if (v >= -2147483648 && v <= 2147483647) {
      this.buf[this.n++] = 0x6c; // 'l'
      this.buf.writeInt32BE(v, this.n);
      this.n += 4;
    } else {
      this.buf[this.n++] = 0x4c; // 'L'
      this.int64(v);
    }
  }

  float32(v: number): void {
    this.room(5);
    this.buf[this.n++] = 0x64; // 'd'
    this.buf.writeFloatBE(v, this.n);
    this.n += 4;
  }

  typed(kind: 'd' | 'l' | 'L' | 'U', values: Json[], field: string): void {
    this.byte('[');
    this.byte('$');
    this.byte(kind);
    this.byte('#');
    this.length(values.length);
    const size = kind === 'd' || kind === 'l' ? 4 : kind === 'L' ? 8 : 1;
    this.room(size * values.length);
    for (const v of values) {
      if (typeof v !== 'number')
        throw new Error(`UBJSON: ${field} holds a non-number (${JSON.stringify(v)})`);
      if (kind === 'd') this.buf.writeFloatBE(v, this.n);
      else if (kind === 'l') this.buf.writeInt32BE(v, this.n);
      else if (kind === 'L') this.buf.writeBigInt64BE(BigInt(v), this.n);
      else this.buf.writeUInt8(v, this.n);
      this.n += size;
    }
  }

  done(): Uint8Array {
    return new Uint8Array(this.buf.subarray(0, this.n));
  }
}

function encode(w: Writer, value: Json, key: string, inTree: boolean): void {
  if (value === null) w.byte('Z');
  else if (value === true) w.byte('T');
  else if (value === false) w.byte('F');
  else if (typeof value === 'number') {
    if (Number.isInteger(value) && Math.abs(value) < 2 ** 53) w.integer(value);
    else w.float32(value);
  } else if (typeof value === 'string') {
    w.byte('S');
    const bytes = Buffer.from(value, 'utf8');
    w.length(bytes.length);
    w.raw(bytes);
  } else if (Array.isArray(value)) {
    const kind = inTree ? TYPED_TREE_FIELDS[key] : undefined;
    if (kind) w.typed(kind, value, key);
    else {
      w.byte('[');
      w.byte('#');
      w.length(value.length);
      for (const item of value) encode(w, item, key, key === 'trees');
    }
  } else {
    w.byte('{');
    for (const k of Object.keys(value).sort()) {
      const bytes = Buffer.from(k, 'utf8');
      w.length(bytes.length);
      w.raw(bytes);
      encode(w, value[k]!, k, inTree);
    }
    w.byte('}');
  }
}

/** XGBoost's JSON model text → the same model in XGBoost's UBJSON format. */
export function xgboostJsonToUbj(json: string): Uint8Array {
  const w = new Writer();
  encode(w, JSON.parse(json) as Json, '', false);
  return w.done();
}
