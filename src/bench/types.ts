/** One measured figure. `detail` says how it was measured (what, how many, against what baseline). */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  detail: string;
}
