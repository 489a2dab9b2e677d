import type uPlot from 'uplot';

export interface TipRow {
  label: string;
  value: string;
  color?: string;
}

/**
 * A hover tooltip for a uPlot chart, built with the DOM API (textContent
 * only) and positioned through the CSSOM, so it is safe with any data and
 * allowed by the CSP.
 */
export function tooltip(title: (u: uPlot, idx: number) => string, rows: (u: uPlot, idx: number) => TipRow[]): uPlot.Plugin {
  let tip: HTMLDivElement | null = null;
  return {
    hooks: {
      init: (u) => {
        tip = document.createElement('div');
        tip.className = 'chart-tip';
        tip.hidden = true;
        u.over.appendChild(tip);
        u.over.addEventListener('mouseleave', () => {
          if (tip) tip.hidden = true;
        });
      },
      setCursor: (u) => {
        if (tip == null) return;
        const idx = u.cursor.idx;
        const shown = idx == null ? [] : rows(u, idx);
        if (idx == null || shown.length === 0 || u.cursor.left == null || u.cursor.left < 0) {
          tip.hidden = true;
          return;
        }
        tip.replaceChildren();
        const head = document.createElement('div');
        head.className = 'chart-tip-title';
        head.textContent = title(u, idx);
        tip.appendChild(head);
        for (const r of shown) {
          const line = document.createElement('div');
          line.className = 'chart-tip-row';
          if (r.color) {
            const sw = document.createElement('i');
            sw.className = 'chart-tip-swatch';
            sw.style.background = r.color;
            line.appendChild(sw);
          }
          const l = document.createElement('span');
          l.textContent = r.label;
          const v = document.createElement('strong');
          v.textContent = r.value;
          line.append(l, v);
          tip.appendChild(line);
        }
        tip.hidden = false;
        const left = u.cursor.left;
        const top = u.cursor.top ?? 0;
        const w = tip.offsetWidth;
        const overW = u.over.clientWidth;
        tip.style.left = `${left + 12 + w > overW ? Math.max(0, left - 12 - w) : left + 12}px`;
        tip.style.top = `${Math.max(0, top - 10)}px`;
      },
    },
  };
}
