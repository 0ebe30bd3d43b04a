/*
 * The Performance tab: the current figures and three uPlot history graphs (CPU; private bytes and working set;
 * I/O read and write rates) over every sample since the host first saw the process, bounded. I/O is cumulative in
 * the samples: the graph shows the rate between two samples.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import type { PerformanceDetail, PerformanceSample } from '../../../src-shared/model/process-detail';
import { formatBytesPe, formatCount, formatCpuPercent } from '../../format/format';
import type { PartView } from '../../store/detail-slice';
import { PartState } from './detail-table';

export interface GraphSeries {
  label: string;
  stroke: string;
  values: (number | null)[];
}

/** Columnar data for uPlot: seconds since the epoch, then one array per series (null = not known then). */
export function performanceSeries(history: readonly PerformanceSample[]) {
  const time = history.map((s) => s.timestampMs / 1000);
  const rate = (pick: (s: PerformanceSample) => number | null) =>
    history.map((s, i) => {
      const prev = history[i - 1];
      const now = pick(s);
      const before = prev ? pick(prev) : null;
      if (!prev || now === null || before === null) return null;
      const seconds = (s.timestampMs - prev.timestampMs) / 1000;
      return seconds > 0 ? Math.max(0, (now - before) / seconds) : null;
    });
  return {
    time,
    cpu: history.map((s) => s.cpuPercent),
    privateBytes: history.map((s) => s.privateBytes),
    workingSet: history.map((s) => s.workingSetBytes),
    ioRead: rate((s) => s.ioReadBytes),
    ioWrite: rate((s) => s.ioWriteBytes),
  };
}

const bytesAxis = (v: number) => formatBytesPe(v);
const GRAPH_HEIGHT_PX = 110;

/** The y axis's top: the smallest 1, 2 or 5 × 10^n at or above the highest value, so the three ticks are round. */
export function niceCeiling(max: number): number {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  return ([1, 2, 5, 10].find((m) => m * power >= max) ?? 10) * power;
}
/** Grey on either theme: the graph must read on the light and the dark background alike. */
const AXIS = { stroke: '#8a8a8a', grid: { stroke: 'rgb(128 128 128 / 20%)', width: 1 }, ticks: { stroke: 'rgb(128 128 128 / 35%)', width: 1 } };

export function HistoryGraph({ label, time, series, format }: { label: string; time: number[]; series: GraphSeries[]; format(v: number): string }) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data = [time, ...series.map((s) => s.values)] as uPlot.AlignedData;
  const shape = series.map((s) => s.label).join('|');

  useEffect(() => {
    const el = host.current!;
    const chart = new uPlot(
      {
        width: Math.max(200, el.clientWidth || 560),
        height: GRAPH_HEIGHT_PX,
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
        scales: { y: { range: (_u, _min, max) => [0, niceCeiling(max ?? 0)] } },
        axes: [
          { ...AXIS },
          { ...AXIS, size: 80, splits: (u) => [0, (u.scales.y!.max ?? 1) / 2, u.scales.y!.max ?? 1], values: (_u, vals) => vals.map((v) => format(v)) },
        ],
        series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.stroke, width: 1.5, points: { show: false }, value: (_u: uPlot, v: number | null) => (v === null ? '—' : format(v)) }))],
      },
      data,
      el,
    );
    plot.current = chart;
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(200, el.clientWidth), height: GRAPH_HEIGHT_PX }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
    // Built once per set of series; data updates below.
  }, [shape]);

  useEffect(() => {
    plot.current?.setData(data);
  });

  const recorded = series.some((s) => s.values.some((v) => v !== null));
  return (
    <figure className="history-graph" aria-label={`${label} history`}>
      <figcaption>
        {label}
        {!recorded && ' — no history recorded yet (the host reads it with the poll, where it may)'}
      </figcaption>
      <div ref={host} className="history-graph-plot" hidden={!recorded} />
    </figure>
  );
}

function Figures({ detail }: { detail: PerformanceDetail }) {
  const c = detail.current;
  const fields: [string, string][] = [
    ['CPU', formatCpuPercent(c.cpuPercent) || (c.cpuPercent === null ? '' : '0.00')],
    ['Private bytes', formatBytesPe(c.privateBytes)],
    ['Working set', formatBytesPe(c.workingSetBytes)],
    ['I/O read bytes', formatBytesPe(c.ioReadBytes)],
    ['I/O write bytes', formatBytesPe(c.ioWriteBytes)],
    ['I/O reads', formatCount(c.ioReadOps)],
    ['I/O writes', formatCount(c.ioWriteOps)],
    ['Handles', formatCount(c.handleCount)],
    ['Threads', formatCount(c.threadCount)],
  ];
  return (
    <dl className="properties-list performance-figures">
      {fields.map(([label, value]) => (
        <div key={label} className="property">
          <dt>{label}</dt>
          <dd>{value || '—'}</dd>
        </div>
      ))}
    </dl>
  );
}

export function PerformanceTab({ view, history }: { view: PartView<PerformanceDetail> | undefined; history: readonly PerformanceSample[] }) {
  const s = performanceSeries(history);
  return (
    <div className="performance-tab">
      <PartState view={view}>{(detail) => <Figures detail={detail} />}</PartState>
      {history.length > 0 && (
        <div className="performance-graphs">
          <HistoryGraph label="CPU" time={s.time} series={[{ label: 'CPU %', stroke: '#4fc1ff', values: s.cpu }]} format={(v) => `${v.toFixed(1)} %`} />
          <HistoryGraph
            label="Memory"
            time={s.time}
            series={[
              { label: 'Private bytes', stroke: '#f0c674', values: s.privateBytes },
              { label: 'Working set', stroke: '#8abeb7', values: s.workingSet },
            ]}
            format={bytesAxis}
          />
          <HistoryGraph
            label="I/O"
            time={s.time}
            series={[
              { label: 'Read /s', stroke: '#b5bd68', values: s.ioRead },
              { label: 'Write /s', stroke: '#cc6666', values: s.ioWrite },
            ]}
            format={bytesAxis}
          />
        </div>
      )}
    </div>
  );
}
