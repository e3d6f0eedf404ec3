import type { EChartsCoreOption } from 'echarts/core';
import { lazy, Suspense } from 'react';

export type ChartOption = EChartsCoreOption;

export interface ChartProps {
  option: ChartOption;
  height?: number;
  label: string;
  /** Written to `data-summary`, so tests and screen readers can read what the chart shows without parsing the drawing. */
  summary?: string;
  testId?: string;
}

// ECharts is most of the dashboard's bytes: it arrives in its own chunk when the first chart mounts.
const EChartsChart = lazy(() => import('./echarts-chart'));

/** A chart (ECharts, SVG renderer); until ECharts has loaded, an empty box of the same height holds its place. */
export function Chart(props: ChartProps) {
  return (
    <Suspense
      fallback={
        <div className="chart chart-loading" role="status" aria-label={`${props.label}: loading`} style={{ height: props.height ?? 280 }} />
      }
    >
      <EChartsChart {...props} />
    </Suspense>
  );
}

export const PALETTE = ['#1d4ed8', '#0891b2', '#16a34a', '#ca8a04', '#dc2626', '#7c3aed', '#db2777', '#475569'];
