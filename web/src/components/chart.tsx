import { BarChart, LineChart } from 'echarts/charts';
import { DatasetComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';

echarts.use([LineChart, BarChart, GridComponent, TooltipComponent, LegendComponent, DatasetComponent, SVGRenderer]);

export type ChartOption = echarts.EChartsCoreOption;

/**
 * A thin React wrapper over ECharts (SVG renderer). `summary` is written to `data-summary` so
 * tests and screen readers can read what the chart shows without parsing the drawing.
 */
export function Chart(props: { option: ChartOption; height?: number; label: string; summary?: string; testId?: string }) {
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

export const PALETTE = ['#1d4ed8', '#0891b2', '#16a34a', '#ca8a04', '#dc2626', '#7c3aed', '#db2777', '#475569'];
