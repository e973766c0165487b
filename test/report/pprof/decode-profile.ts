/** A .pb.gz profile decoded back with pprof-format into plain stacks (root first) and values by sample type. */
import zlib from 'node:zlib';
import { Profile } from 'pprof-format';

export interface DecodedProfile {
  sampleTypes: Array<{ type: string; unit: string }>;
  defaultSampleType: string;
  comments: string[];
  samples: Array<{ stack: string[]; values: Record<string, number>; labels: Record<string, string> }>;
  totals: Record<string, number>;
}

export function decodeProfile(gz: Buffer): DecodedProfile {
  const p = Profile.decode(zlib.gunzipSync(gz));
  const str = (i: number | bigint) => p.stringTable.strings[Number(i)];
  const fnName = new Map(p.function.map((f) => [Number(f.id), str(f.name)]));
  const locFn = new Map(p.location.map((l) => [Number(l.id), fnName.get(Number(l.line[0].functionId))!]));
  const sampleTypes = p.sampleType.map((t) => ({ type: str(t.type), unit: str(t.unit) }));
  const totals: Record<string, number> = Object.fromEntries(sampleTypes.map((t) => [t.type, 0]));
  const samples = p.sample.map((s) => {
    const values = Object.fromEntries(sampleTypes.map((t, i) => [t.type, Number(s.value[i])]));
    for (const t of sampleTypes) totals[t.type] += values[t.type];
    return {
      stack: s.locationId.map((id) => locFn.get(Number(id))!).reverse(),
      values,
      labels: Object.fromEntries(s.label.map((l) => [str(l.key), str(l.str)])),
    };
  });
  return { sampleTypes, defaultSampleType: str(p.defaultSampleType), comments: p.comment.map(str), samples, totals };
}

/** Stack (joined with ';') → summed value of one sample type, zero values left out: what a folded file holds. */
export function stacksOf(samples: DecodedProfile['samples'], type: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of samples) {
    const v = s.values[type];
    if (v) m.set(s.stack.join(';'), (m.get(s.stack.join(';')) ?? 0) + v);
  }
  return m;
}

export function parseFolded(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.trim().split('\n')) {
    const i = line.lastIndexOf(' ');
    m.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return m;
}
