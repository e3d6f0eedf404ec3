import { BarChart, LineChart } from 'echarts/charts';
import { DatasetComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';
import type { ChartProps } from './chart';

echarts.use([LineChart, BarChart, GridComponent, TooltipComponent, LegendComponent, DatasetComponent, SVGRenderer]);

/**
 * The ECharts drawing behind `Chart` (SVG renderer). Loaded on demand (`chart.tsx` imports it
 * lazily), so ECharts — most of the dashboard's bytes — is not needed for the first paint.
 */
export default function EChartsChart(props: ChartProps) {
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);

  useEffect(() => {
    if (!ref.current) return;
    const instance = echarts.init(ref.current, undefined, { renderer: 'svg' });
    chart.current = instance;
    const observer = new ResizeObserver(() => instance.resize());
    observer.observe(ref.current);
    return () => {
      observer.disconnect();
      instance.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption({ animationDuration: 300, ...props.option }, { notMerge: true });
  }, [props.option]);

  return (
    <div
      ref={ref}
      className="chart"
      role="img"
      aria-label={props.label}
      data-summary={props.summary}
      data-testid={props.testId}
      style={{ height: props.height ?? 280 }}
    />
  );
}
