/** The output formats of `report pprof`, chosen by the -o file's extension (key → encoder, as data). */
import { encodeFolded } from './encode-folded';
import { encodeJson } from './encode-json';
import { encodePprof } from './encode-pprof';
import { encodeSvg } from './encode-svg';
import type { ProfileModel, SampleType } from './sample-model';
import type { View } from './views';

export interface EncodeInput {
  model: ProfileModel;
  view: View;
  /** The sample type of single-valued formats (folded, svg): --value, else the view's. */
  value: SampleType;
}

export interface OutputFormat {
  ext: string;
  name: string;
  encode(i: EncodeInput): Buffer | string;
}

export const OUTPUT_FORMATS: readonly OutputFormat[] = [
  { ext: '.pb.gz', name: 'pprof', encode: (i) => encodePprof(i.model) },
  { ext: '.folded', name: 'folded stacks', encode: (i) => encodeFolded(i.model, i.value) },
  { ext: '.svg', name: 'flame graph', encode: (i) => encodeSvg(i.model, i.value, `agentsight: ${i.value} by ${i.view.stack.join('; ')}`) },
  { ext: '.json', name: 'JSON', encode: (i) => encodeJson(i.model, i.view.stack) },
];

export function formatFor(file: string): OutputFormat | undefined {
  const lower = file.toLowerCase();
  return OUTPUT_FORMATS.find((f) => lower.endsWith(f.ext));
}
