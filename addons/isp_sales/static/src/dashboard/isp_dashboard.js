import { Component, onWillStart, onWillUnmount, useEffect, useRef, useState, useSubEnv } from "@odoo/owl";
import { loadBundle } from "@web/core/assets";
import { cookie } from "@web/core/browser/cookie";
import { getColor } from "@web/core/colors/colors";
import { formatCurrency } from "@web/core/currency";
import { registry } from "@web/core/registry";
import { formatFloat } from "@web/core/utils/numbers";
import { useService } from "@web/core/utils/hooks";
import { useSetupAction } from "@web/search/action_hook";
import { Layout } from "@web/search/layout";
import { getDefaultConfig } from "@web/views/view";

/**
 * One chart of the dashboard (Chart.js, loaded from Odoo's own bundle). A click on a bar
 * opens the records behind it.
 */
export class IspDashboardChart extends Component {
    static template = "isp_sales.DashboardChart";
    static props = {
        chart: Object,
        formatValue: Function,
        openAction: Function,
    };

    setup() {
        this.canvasRef = useRef("canvas");
        this.chart = null;
        // the figures as a table too: readable without the chart, each cell opens its records
        this.state = useState({ table: false });
        useEffect(
            (canvas) => {
                if (canvas) {
                    this.renderChart();
                }
                return () => {
                    this.chart?.destroy();
                    this.chart = null;
                };
            },
            () => [this.state.table ? null : this.canvasRef.el, this.props.chart]
        );
    }

    get isEmpty() {
        return !this.props.chart.datasets.some((dataset) => dataset.data.some((value) => value));
    }

    renderChart() {
        this.chart?.destroy();
        const chart = this.props.chart;
        const colorScheme = cookie.get("color_scheme");
        const datasets = chart.datasets.map((dataset, index) => ({
            label: dataset.label,
            data: dataset.data,
            backgroundColor: getColor(index, colorScheme, chart.datasets.length),
            borderRadius: 2,
        }));
        this.chart = new Chart(this.canvasRef.el, {
            type: chart.type,
            data: { labels: chart.labels, datasets },
            options: {
                maintainAspectRatio: false,
                animation: false,
                onClick: (event, elements) => this.onClick(elements),
                onHover: (event, elements) => {
                    event.native.target.style.cursor = elements.length ? "pointer" : "default";
                },
                plugins: {
                    legend: { display: chart.datasets.length > 1, position: "bottom" },
                    tooltip: {
                        callbacks: {
                            label: (item) => `${item.dataset.label}: ${this.props.formatValue(item.raw, chart.monetary)}`,
                        },
                    },
                },
                scales: {
                    x: { stacked: chart.stacked },
                    y: {
                        stacked: chart.stacked,
                        beginAtZero: true,
                        ticks: {
                            // whole amounts and counts only (an empty chart shows 0 and 1)
                            precision: 0,
                            callback: (value) => this.props.formatValue(value, chart.monetary, true),
                        },
                    },
                },
            },
        });
    }

    onClick(elements) {
        if (elements.length) {
            this.open(elements[0].datasetIndex, elements[0].index);
        }
    }

    open(datasetIndex, index) {
        const action = this.props.chart.datasets[datasetIndex].actions[index];
        if (action) {
            this.props.openAction(action);
        }
    }

    toggleTable() {
        this.state.table = !this.state.table;
    }
}

/**
 * The manager's dashboard of the ISP app: figures and charts of the companies selected in the
 * company switcher, each opening the records behind it.
 */
export class IspDashboard extends Component {
    static template = "isp_sales.Dashboard";
    static components = { Layout, IspDashboardChart };
    static props = ["*"];

    setup() {
        useSubEnv({ config: { ...getDefaultConfig(), ...this.env.config } });
        useSetupAction();
        this.orm = useService("orm");
        this.actionService = useService("action");
        this.state = useState({ data: null, loading: true });
        onWillStart(async () => {
            await Promise.all([loadBundle("web.chartjs_lib"), this.load()]);
        });
        // figures change while the screen is open (runs, payments): refresh when the tab comes back
        const onVisible = () => document.visibilityState === "visible" && this.load();
        document.addEventListener("visibilitychange", onVisible);
        onWillUnmount(() => document.removeEventListener("visibilitychange", onVisible));
    }

    async load() {
        this.state.loading = true;
        // the ORM service sends the user context with the companies of the company switcher
        this.state.data = await this.orm.call("isp.dashboard", "get_dashboard_data", []);
        this.state.loading = false;
    }

    get figures() {
        return this.state.data.sections.flatMap((section) => section.figures);
    }

    get charts() {
        return this.state.data.sections.flatMap((section) => section.charts);
    }

    formatValue(value, monetary, short = false) {
        if (!monetary) {
            return formatFloat(value, { digits: [false, 0] });
        }
        const currency = this.state.data.currency;
        if (short) {
            // axis ticks: 800, 1.2k, 15.0k
            const digits = Math.abs(value) >= 1000 ? 1 : 0;
            return formatCurrency(value, currency.id, { digits: [false, digits], humanReadable: true });
        }
        return formatCurrency(value, currency.id, { digits: [false, currency.digits] });
    }

    formatChange(comparison) {
        const sign = comparison.value > 0 ? "+" : "";
        const amount = `${sign}${this.formatValue(comparison.value, true)}`;
        if (comparison.percent === null) {
            return amount;
        }
        return `${amount} (${sign}${formatFloat(comparison.percent, { digits: [false, 1] })} %)`;
    }

    openAction(action) {
        this.actionService.doAction(action);
    }
}

registry.category("actions").add("isp_sales.dashboard", IspDashboard);
