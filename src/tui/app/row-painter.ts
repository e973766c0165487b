/**
 * Puts a frame (one blessed-tagged string per screen row) on the terminal, one blessed box per row, so a frame that
 * differs from the last one in a few rows costs only those rows. Live `top` at rest redraws once a second to move
 * the scrubber's clock and timeline: with one full-screen box every such frame re-parsed all 40 rows' tags
 * (setContent) and re-laid all 4,800 cells (screen.render) to change one row, ~2.5 ms of the JS thread per second
 * and most of its garbage (BENCHMARKS.md, "Live `top` at rest"). blessed already writes only the cells that changed
 * to the terminal; this skips the parsing and laying out of the rows that did not.
 * A new size or row count repaints everything through screen.render(), as blessed's own resize handling does.
 */
import type { Widgets } from 'blessed';

type Blessed = typeof import('blessed');

export class RowPainter {
  private readonly rows: Widgets.BoxElement[] = [];
  /** What each row box holds now ('' before the first paint). */
  private shown: string[] = [];
  private size = '';

  constructor(private readonly blessed: Blessed, private readonly screen: Widgets.Screen) {}

  paint(tagged: readonly string[]): void {
    const size = `${this.screen.width as number}x${this.screen.height as number}`;
    if (size !== this.size || tagged.length !== this.rows.length) return this.repaint(tagged, size);
    let first = -1;
    let last = -1;
    for (let y = 0; y < tagged.length; y++) {
      if (tagged[y] === this.shown[y]) continue;
      const row = this.rows[y]!;
      row.setContent(tagged[y]!);
      // Lays the row's cells into the screen buffer, marking the lines whose cells changed; draw() writes those.
      row.render();
      if (first < 0) first = y;
      last = y;
    }
    this.shown = [...tagged];
    if (first >= 0) this.screen.draw(first, last);
  }

  private repaint(tagged: readonly string[], size: string): void {
    while (this.rows.length > tagged.length) this.rows.pop()!.destroy();
    while (this.rows.length < tagged.length) {
      this.rows.push(this.blessed.box({ parent: this.screen, top: this.rows.length, left: 0, width: '100%', height: 1, tags: true, wrap: false, scrollable: false }));
    }
    tagged.forEach((t, y) => this.rows[y]!.setContent(t));
    this.shown = [...tagged];
    this.size = size;
    this.screen.render();
  }
}
