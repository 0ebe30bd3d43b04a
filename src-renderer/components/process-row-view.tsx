/*
 * One row of the tree: tree lines, the expand/collapse twisty, and the cells of the visible columns. The row's
 * accessible name is "<name>, PID <pid>" so screen readers and tests find a process as a person would; an exited
 * row (kept for Options → Keep exited) says ", exited" and shows it. The row's category colour (Options → Colours)
 * comes from categories.ts. A truncated name shows the command line and image path on hover, another truncated
 * cell its full text.
 */
import { memo, type CSSProperties, type MouseEvent } from 'react';
import type { ProcessRow } from '../../src-shared/model/process';
import { resolveCategory, type CategoryId, type CategoryStyle } from '../format/categories';
import { columnDef, type ColumnId } from '../format/columns';
import { CELL_PADDING_PX, fitsUnclipped } from '../format/text-fit';
import type { RowStatus } from '../store/processes-slice';
import type { VisibleRow } from '../store/visible-rows';

export interface ProcessRowViewProps {
  entry: VisibleRow;
  columns: ColumnId[];
  /** Column widths: a cell gets a clip only when its text may not fit (see text-fit.ts). */
  widths: Readonly<Record<ColumnId, number>>;
  rowIndex: number;
  selected: boolean;
  status: RowStatus | undefined;
  /** The row object is mutated in place; this counter tells memo() that it changed. */
  revision: number;
  offsetPx: number;
  categoryStyles: Readonly<Record<CategoryId, CategoryStyle>>;
  currentUser: string | null;
  onSelect(entry: VisibleRow): void;
  onToggle(entry: VisibleRow): void;
  onContextMenu(entry: VisibleRow, event: MouseEvent): void;
}

/** Width of one tree guide, elbow or twisty (.guide and .twisty in styles.css). */
const GUIDE_PX = 16;
/** The name cell's padding: 2 px left (.name-cell), 6 px right (.cell). */
const NAME_CELL_PADDING_PX = 8;
/** The "exited" tag after an exited row's name (.exited-tag in styles.css), at most. */
const EXITED_TAG_PX = 48;

/** The name cell's hover text: what a truncated name hides and where the image is. */
export function nameTooltip(row: ProcessRow): string {
  const lines = [row.name];
  if (row.commandLine) lines.push(`Command line: ${row.commandLine}`);
  if (row.exePath) lines.push(`Path: ${row.exePath}`);
  return lines.join('\n');
}

export function rowDomId(key: string): string {
  return `process-row-${key.replace(':', '-')}`;
}

function TreeGuides({ entry, onToggle }: { entry: VisibleRow; onToggle(entry: VisibleRow): void }) {
  return (
    <>
      {entry.lineContinues.map((continues, i) => (
        <span key={i} className={continues ? 'guide guide-line' : 'guide'} aria-hidden="true" />
      ))}
      {entry.depth > 0 && <span className={entry.isLastChild ? 'guide elbow-last' : 'guide elbow-mid'} aria-hidden="true" />}
      {entry.hasChildren ? (
        <button
          type="button"
          tabIndex={-1}
          className="twisty"
          aria-label={`${entry.expanded ? 'Collapse' : 'Expand'} ${entry.row.name}, PID ${entry.row.pid}`}
          onClick={(e) => {
            e.stopPropagation();
            onToggle(entry);
          }}
        >
          {entry.expanded ? '▾' : '▸'}
        </button>
      ) : (
        <span className="twisty" aria-hidden="true" />
      )}
    </>
  );
}

interface RowCellsProps {
  entry: VisibleRow;
  columns: ColumnId[];
  widths: Readonly<Record<ColumnId, number>>;
  revision: number;
  exited: boolean;
  onToggle(entry: VisibleRow): void;
}

/**
 * The cells of a row, memoised apart from the row itself: when rows start or exit above it, a row only moves
 * (position, stripe, aria-rowindex change) and its cells, the bulk of its DOM, are not rendered again.
 */
const RowCells = memo(function RowCells({ entry, columns, widths, exited, onToggle }: RowCellsProps) {
  const { row } = entry;
  return (
    <>
      {columns.map((c) => {
        const def = columnDef(c);
        if (c === 'name') {
          const textPx = widths.name - NAME_CELL_PADDING_PX - (entry.lineContinues.length + (entry.depth > 0 ? 2 : 1)) * GUIDE_PX;
          const nameFits = fitsUnclipped(row.name, textPx - (exited ? EXITED_TAG_PX : 0));
          return (
            <div key={c} role="gridcell" className={textPx < 0 ? 'cell name-cell clip' : 'cell name-cell'} title={nameTooltip(row)}>
              <span className="tree-prefix">
                <TreeGuides entry={entry} onToggle={onToggle} />
              </span>
              <span className={nameFits ? 'name-text' : 'name-text clip'}>{row.name}</span>
              {exited && <span className="exited-tag">exited</span>}
            </div>
          );
        }
        const text = def.format(row);
        const clip = fitsUnclipped(text, widths[c] - CELL_PADDING_PX) ? '' : ' clip';
        return (
          <div key={c} role="gridcell" className={`cell align-${def.align}${clip}`} title={c === 'commandLine' ? (row.commandLine ?? '') : clip ? text : undefined}>
            {text}
          </div>
        );
      })}
    </>
  );
});

export const ProcessRowView = memo(function ProcessRowView(props: ProcessRowViewProps) {
  const { entry, columns, rowIndex, selected, status } = props;
  const { row } = entry;
  // Stripes by position in the list, not in the DOM: virtualised rows are reused out of order.
  const classes = ['grid-row', 'process-row'];
  if (rowIndex % 2 === 1) classes.push('alt');
  if (selected) classes.push('selected');
  if (status) classes.push(`row-${status}`);
  const exited = status === 'exiting';
  const category = exited ? null : resolveCategory(row, props.categoryStyles, props.currentUser);
  if (category) classes.push('has-category');
  return (
    <div
      role="row"
      id={rowDomId(row.key)}
      aria-rowindex={rowIndex + 2}
      aria-level={entry.depth + 1}
      aria-expanded={entry.hasChildren ? entry.expanded : undefined}
      aria-selected={selected}
      aria-label={exited ? `${row.name}, PID ${row.pid}, exited` : `${row.name}, PID ${row.pid}`}
      data-status={status ?? 'steady'}
      data-category={category ?? undefined}
      className={classes.join(' ')}
      style={category ? ({ transform: `translateY(${props.offsetPx}px)`, '--category': props.categoryStyles[category].color } as CSSProperties) : { transform: `translateY(${props.offsetPx}px)` }}
      onClick={() => props.onSelect(entry)}
      onDoubleClick={() => entry.hasChildren && props.onToggle(entry)}
      onContextMenu={(e) => props.onContextMenu(entry, e)}
    >
      <RowCells entry={entry} columns={columns} widths={props.widths} revision={props.revision} exited={exited} onToggle={props.onToggle} />
    </div>
  );
});
