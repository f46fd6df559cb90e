import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** Devices online over time, drawn by uPlot into a canvas; the numbers are also given as text for screen readers. */
export function OnlineChart(props: { points: { at: string; online: number; total: number }[] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = props.points.map((p) => new Date(p.at).getTime() / 1000);
    const styles = getComputedStyle(document.documentElement);
    const color = (name: string) => styles.getPropertyValue(name).trim();
    const plot = new uPlot(
      {
        width: Math.max(280, el.clientWidth),
        height: 220,
        series: [{}, { label: 'online', stroke: color('--c-succeeded'), width: 2 }, { label: 'registered', stroke: color('--c-pending'), dash: [4, 4] }],
        axes: [{ stroke: color('--muted') }, { stroke: color('--muted') }],
        legend: { show: true },
        // One sample has no span: show the last hour around it instead of years.
        scales: { x: { time: true, range: (_u, min, max) => (max - min < 600 ? [max - 3600, max + 60] : [min, max]) } },
      },
      [xs, props.points.map((p) => p.online), props.points.map((p) => p.total)],
      el,
    );
    const onResize = () => plot.setSize({ width: Math.max(280, el.clientWidth), height: 220 });
    window.addEventListener('resize', onResize);
    return () => {
      window.removeEventListener('resize', onResize);
      plot.destroy();
    };
  }, [JSON.stringify(props.points)]);
  const last = props.points.at(-1);
  return (
    <figure>
      <div ref={box} class="chart" role="img" aria-label={last ? `Devices online over time; now ${last.online} of ${last.total}` : 'No samples yet'} />
      <figcaption class="visually-hidden">One sample a minute since the server started.</figcaption>
    </figure>
  );
}
