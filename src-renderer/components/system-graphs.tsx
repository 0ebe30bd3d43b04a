/*
 * The toolbar's system graphs (issue 14): CPU (per core on hover), memory (commit and used) and I/O (read and
 * write bytes/s) over the last GRAPH_HISTORY_SAMPLES polls, drawn with uPlot. Each graph is a figure named
 * "CPU graph", "Memory graph", "I/O graph" whose caption carries the current value as text, so a screen reader
 * hears the figure, not a canvas. The history lives here, fed by the store's system totals once per poll.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatBytesPe, formatBytesPerSecPe } from '../format/format';
import { useAppStore } from '../store/app-store';
import { cpuColumns, GraphHistory, ioColumns, memoryColumns, sampleOf, type GraphColumns, type GraphSample } from './system-graphs-history';

const GRAPH_WIDTH_PX = 96;
const GRAPH_HEIGHT_PX = 26;

interface SeriesStyle {
  label: string;
  stroke: string;
  fill?: string;
}

function percentText(p: number | null | undefined): string {
  return p === null || p === undefined ? '…' : `${p.toFixed(1)} %`;
}

const gib = (b: number | null) => (b === null ? '…' : `${(b / 1024 ** 3).toFixed(1)} GB`);

/** One small uPlot chart; `onHover` gets the sample index under the pointer (null when it leaves). */
function Sparkline({
  data,
  series,
  yMax,
  onHover,
}: {
  data: GraphColumns;
  series: readonly SeriesStyle[];
  yMax: number | null;
  onHover?: (index: number | null) => void;
}) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const yMaxRef = useRef(yMax);
  yMaxRef.current = yMax;
  const hoverRef = useRef(onHover);
  hoverRef.current = onHover;

  useEffect(() => {
    const chart = new uPlot(
      {
        width: GRAPH_WIDTH_PX,
        height: GRAPH_HEIGHT_PX,
        legend: { show: false },
        axes: [{ show: false }, { show: false }],
        cursor: { y: false, points: { show: false }, drag: { x: false, y: false } },
        scales: {
          x: { time: false },
          // A fixed top (100 %, the commit limit) where there is one, so a flat line means what it shows.
          y: { range: (_u, _min, max) => [0, Math.max(yMaxRef.current ?? max ?? 0, 1)] },
        },
        series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.stroke, fill: s.fill, width: 1, points: { show: false } }))],
        hooks: { setCursor: [(u) => hoverRef.current?.(u.cursor.idx ?? null)] },
      },
      data as uPlot.AlignedData,
      host.current!,
    );
    plot.current = chart;
    return () => {
      chart.destroy();
      plot.current = null;
    };
    // One chart per mount (series and size are fixed); the data effect below feeds it.
  }, []);

  useEffect(() => {
    plot.current?.setData(data as uPlot.AlignedData);
  }, [data, yMax]);

  return <div ref={host} className="system-graph-plot" onMouseLeave={() => onHover?.(null)} />;
}

export function SystemGraphs() {
  const seq = useAppStore((s) => s.seq);
  const system = useAppStore((s) => s.system);
  const timestampMs = useAppStore((s) => s.sampleTimestampMs);
  const history = useRef(new GraphHistory());
  const [revision, setRevision] = useState(0);
  const [cpuHover, setCpuHover] = useState<number | null>(null);
  const [cpuHovered, setCpuHovered] = useState(false);

  useEffect(() => {
    if (seq === null || system === null || timestampMs === null) return;
    if (history.current.push(sampleOf(seq, timestampMs, system))) setRevision((r) => r + 1);
  }, [seq, system, timestampMs]);

  const samples = useMemo(() => history.current.samples(), [revision]);
  const latest: GraphSample | null = samples.at(-1) ?? null;
  const cpu = useMemo(() => cpuColumns(samples), [samples]);
  const memory = useMemo(() => memoryColumns(samples), [samples]);
  const io = useMemo(() => ioColumns(samples), [samples]);
  const ioMax = useMemo(() => {
    let max = 0;
    for (const s of samples) max = Math.max(max, (s.ioReadBytesPerSec ?? 0) + (s.ioWriteBytesPerSec ?? 0));
    return max || null;
  }, [samples]);

  const hovered = cpuHover !== null ? (samples[cpuHover] ?? latest) : latest;
  const cores = hovered?.perCpuPercent ?? null;
  const memoryText =
    latest === null
      ? '…'
      : `Commit ${gib(latest.commitBytes)}, used ${gib(latest.memoryUsedBytes)}`;
  const ioText =
    latest === null || (latest.ioReadBytesPerSec === null && latest.ioWriteBytesPerSec === null)
      ? '…'
      : `Read ${formatBytesPerSecPe(latest.ioReadBytesPerSec) || '0 K/s'}, write ${formatBytesPerSecPe(latest.ioWriteBytesPerSec) || '0 K/s'}`;

  return (
    <div className="system-graphs" aria-label="System graphs" role="group">
      <figure
        className="system-graph"
        aria-label="CPU graph"
        tabIndex={0}
        onMouseEnter={() => setCpuHovered(true)}
        onMouseLeave={() => setCpuHovered(false)}
        onFocus={() => setCpuHovered(true)}
        onBlur={() => setCpuHovered(false)}
        aria-describedby={cpuHovered && cores ? 'system-graph-cores' : undefined}
      >
        <Sparkline data={cpu} series={[{ label: 'CPU', stroke: '#2e9d4d', fill: 'rgba(46,157,77,0.25)' }]} yMax={100} onHover={setCpuHover} />
        <figcaption>CPU {percentText(latest?.cpuPercent)}</figcaption>
        {cpuHovered && cores && (
          <div role="tooltip" id="system-graph-cores" className="system-graph-tooltip">
            <div className="system-graph-tooltip-title">
              Per core{hovered && hovered !== latest ? ` at ${new Date(hovered.timestampMs).toLocaleTimeString()}` : ''}
            </div>
            <ul aria-label="Per-core CPU">
              {cores.map((p, i) => (
                <li key={i}>
                  CPU {i}: {percentText(p)}
                </li>
              ))}
            </ul>
          </div>
        )}
      </figure>
      <figure className="system-graph" aria-label="Memory graph" title={latest ? `Commit ${formatBytesPe(latest.commitBytes)}, used ${formatBytesPe(latest.memoryUsedBytes)}` : undefined}>
        <Sparkline
          data={memory}
          series={[
            { label: 'Commit', stroke: '#c89d1b' },
            { label: 'Used', stroke: '#3a7bd5', fill: 'rgba(58,123,213,0.25)' },
          ]}
          yMax={latest?.memoryScaleBytes ?? null}
        />
        <figcaption>{memoryText}</figcaption>
      </figure>
      <figure className="system-graph" aria-label="I/O graph">
        <Sparkline
          data={io}
          series={[
            { label: 'Read', stroke: '#3a7bd5' },
            { label: 'Write', stroke: '#d5503a' },
          ]}
          yMax={ioMax}
        />
        <figcaption>{ioText}</figcaption>
      </figure>
    </div>
  );
}
