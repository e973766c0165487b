/**
 * The profile as pprof's gzipped protobuf (profile.proto), encoded by pprof-format: one function and location per
 * distinct frame (its attribute as the function's file name, so `go tool pprof -list` and the web UI can tell a
 * model from a tag of the same name), every sample type in one profile, comments for what values leave out.
 */
import zlib from 'node:zlib';
import { Function as PprofFunction, Label, Location, Profile, Sample as PprofSample, StringTable, ValueType, Line } from 'pprof-format';
import { SAMPLE_TYPES, type ProfileModel } from './sample-model';
import { profileComments } from './comments';

export function encodePprof(m: ProfileModel): Buffer {
  const strings = new StringTable();
  const s = (x: string): number => strings.dedup(x);
  const functions: PprofFunction[] = [];
  const locations: Location[] = [];
  const locationOf = new Map<string, number>();
  const frameLocation = (attr: string, name: string): number => {
    const key = `${attr}\u0000${name}`;
    let id = locationOf.get(key);
    if (id === undefined) {
      id = locations.length + 1;
      functions.push(new PprofFunction({ id, name: s(name), systemName: s(name), filename: s(attr) }));
      locations.push(new Location({ id, line: [new Line({ functionId: id })] }));
      locationOf.set(key, id);
    }
    return id;
  };
  const samples = m.samples.map((smp) => {
    const ids: number[] = [];
    // pprof lists a sample's locations leaf first.
    for (let i = smp.stack.length - 1; i >= 0; i--) ids.push(frameLocation(smp.frameAttrs[i], smp.stack[i]));
    const label = Object.entries(smp.labels).map(([k, v]) => new Label({ key: s(k), str: s(v) }));
    return new PprofSample({ locationId: ids, value: smp.values, label });
  });
  const profile = new Profile({
    sampleType: SAMPLE_TYPES.map((t) => new ValueType({ type: s(t.type), unit: s(t.unit) })),
    sample: samples,
    location: locations,
    function: functions,
    stringTable: strings,
    timeNanos: BigInt(Math.round(m.set.startNs ?? 0)),
    durationNanos: BigInt(Math.max(0, Math.round((m.set.endNs ?? 0) - (m.set.startNs ?? 0)))),
    comment: profileComments(m).map(s),
    defaultSampleType: s(m.valueType),
  });
  return zlib.gzipSync(profile.encode());
}
