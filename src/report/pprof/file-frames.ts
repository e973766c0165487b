/** A file path as flame-graph frames: one per directory, relative to the project when it lies inside it. */
export function filePathFrames(file: string, project: string): string[] {
  const prefix = project.endsWith('/') ? project : `${project}/`;
  const rel = file.startsWith(prefix) ? file.slice(prefix.length) : file;
  const parts = rel.split('/').filter(Boolean);
  if (parts.length === 0) return [file];
  if (rel.startsWith('/')) parts[0] = `/${parts[0]}`;
  return parts;
}
