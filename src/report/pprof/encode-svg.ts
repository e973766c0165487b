/**
 * A self-contained flame graph (SVG, no script, no external fonts): root at the bottom, one row per stack depth,
 * widths proportional to one sample type; each box's <title> gives the full name, value and share. Drawn by our own
 * code (~100 lines): the usual renderers are flamegraph.pl (Perl) and inferno (Rust), and the npm ones
 * (d3-flame-graph) need a DOM in the browser; what a static flame graph needs is a tree walk and some rectangles.
 * Boxes narrower than MIN_WIDTH_PX are not drawn; how many is printed under the graph.
 */
import { VALUE_INDEX, type Attr, type ProfileModel, type SampleType } from './sample-model';
import { formatValue } from './value-format';

const WIDTH = 1200;
const ROW = 18;
const PAD = 10;
const TOP = 40;
const FONT_PX = 12;
/** Average glyph width of a 12 px sans-serif in px, for clipping labels to their box. */
const CHAR_PX = 7;
const MIN_WIDTH_PX = 0.5;

/** One hue per attribute, so a model is told from a tag at a glance (flamegraph.pl's palette idea). */
const HUE: Record<Attr, number> = { project: 30, agent: 10, session: 45, tag: 120, model: 200, kind: 270, phase: 330, what: 180, tool: 90, file: 60 };

interface Node {
  name: string;
  attr: Attr;
  value: number;
  children: Map<string, Node>;
}

export function encodeSvg(m: ProfileModel, type: SampleType, title: string): string {
  const idx = VALUE_INDEX[type];
  const root: Node = { name: 'all', attr: 'project', value: 0, children: new Map() };
  let depth = 0;
  for (const s of m.samples) {
    const v = s.values[idx];
    if (v === 0) continue;
    root.value += v;
    let node = root;
    s.stack.forEach((name, i) => {
      const key = `${s.frameAttrs[i]}\u0000${name}`;
      let child = node.children.get(key);
      if (!child) {
        child = { name, attr: s.frameAttrs[i], value: 0, children: new Map() };
        node.children.set(key, child);
      }
      child.value += v;
      node = child;
    });
    depth = Math.max(depth, s.stack.length);
  }
  const height = TOP + (depth + 1) * ROW + 3 * PAD + FONT_PX;
  const scale = root.value > 0 ? (WIDTH - 2 * PAD) / root.value : 0;
  const boxes: string[] = [];
  let hidden = 0;
  const draw = (n: Node, x: number, level: number): void => {
    const w = n.value * scale;
    if (w < MIN_WIDTH_PX) {
      hidden += countNodes(n);
      return;
    }
    const y = TOP + (depth - level) * ROW;
    const share = root.value ? ((100 * n.value) / root.value).toFixed(2) : '0';
    const tip = `${n.name} (${n.attr}): ${formatValue(type, n.value)}, ${share}%`;
    const fill = level === 0 ? 'hsl(0,0%,80%)' : `hsl(${HUE[n.attr]},${60 + (hash(n.name) % 25)}%,${62 + (hash(n.name) % 13)}%)`;
    const fit = Math.floor((w - 6) / CHAR_PX);
    const label = fit < 3 ? '' : n.name.length <= fit ? n.name : `${n.name.slice(0, fit - 2)}..`;
    boxes.push(
      `<g><title>${xml(tip)}</title><rect x="${r2(x)}" y="${y}" width="${r2(w)}" height="${ROW - 1}" fill="${fill}" rx="2"/>` +
        (label ? `<text x="${r2(x + 3)}" y="${y + ROW - 5}">${xml(label)}</text>` : '') +
        '</g>',
    );
    let cx = x;
    for (const c of [...n.children.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      draw(c, cx, level + 1);
      cx += c.value * scale;
    }
  };
  if (root.value > 0) draw(root, PAD, 0);
  const footer = `total ${formatValue(type, root.value)}${hidden ? `; ${hidden} frame(s) under ${MIN_WIDTH_PX}px not drawn` : ''}${m.set.unknownPrice.calls && type === 'cost' ? `; ${m.set.unknownPrice.calls} call(s) of unknown price not in cost` : ''}`;
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Verdana,DejaVu Sans,sans-serif" font-size="${FONT_PX}">`,
    `<rect width="100%" height="100%" fill="#fdfdf6"/>`,
    `<text x="${WIDTH / 2}" y="24" text-anchor="middle" font-size="16">${xml(title)}</text>`,
    ...boxes,
    `<text x="${PAD}" y="${height - PAD}" fill="#555">${xml(footer)}</text>`,
    `</svg>`,
    '',
  ].join('\n');
}

function countNodes(n: Node): number {
  let c = 1;
  for (const ch of n.children.values()) c += countNodes(ch);
  return c;
}

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) >>> 0;
  return h;
}

const r2 = (x: number): string => (Math.round(x * 100) / 100).toString();

function xml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}
