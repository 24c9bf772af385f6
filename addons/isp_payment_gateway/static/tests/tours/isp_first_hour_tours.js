import { registry } from "@web/core/registry";

// The first hour on the demo database, as the README walks through it.

// The manager opens the ISP app, lands on the dashboard and opens the invoices
// behind one month of the revenue chart.
registry.category("web_tour.tours").add("isp_first_hour_manager", {
    url: "/odoo",
    steps: () => [
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "Open the ISP app",
            trigger: ".o_app[data-menu-xmlid='isp_customer.isp_menu_root']",
            run: "click",
        },
        {
            content: "The app opens on the dashboard with the monthly recurring revenue",
            trigger: ".o_isp_dashboard .o_isp_dashboard_figure[data-figure=mrr] .o_isp_dashboard_value",
        },
        {
            content: "The revenue chart is drawn",
            trigger: ".o_isp_dashboard_chart_card[data-chart-card=revenue] canvas[data-chart=revenue]",
        },
        {
            content: "Show the revenue chart as a table",
            trigger: ".o_isp_dashboard_chart_card[data-chart-card=revenue] .o_isp_dashboard_table_toggle",
            run: "click",
        },
        {
            content: "Open the invoice lines of the last month's first article type",
            trigger: "table[data-chart-table=revenue] tbody tr:last-child td.o_isp_dashboard_cell:first",
            run: "click",
        },
        {
            content: "The records behind the figure are listed",
            trigger: ".o_list_view .o_data_row",
        },
        {
            content: "Back to the dashboard through the breadcrumb",
            trigger: ".o_breadcrumb .breadcrumb-item a",
            run: "click",
        },
        {
            trigger: ".o_isp_dashboard .o_isp_dashboard_figure[data-figure=mrr]",
        },
    ],
});

// The demo customer looks at an invoice and a service in the portal.
registry.category("web_tour.tours").add("isp_first_hour_portal", {
    url: "/my",
    steps: () => [
        {
            content: "Open the invoices",
            trigger: "a[href^='/my/invoices']",
            run: "click",
        },
        {
            content: "Open the newest invoice",
            trigger: "table a[href^='/my/invoices/']",
            run: "click",
        },
        {
            content: "The invoice is shown with its PDF",
            trigger: "#invoice_content iframe, #invoice_content .o_portal_html_view",
        },
        {
            content: "Go to the services",
            trigger: "body",
            run: "goToUrl /my/services",
        },
        {
            content: "Open a service",
            trigger: "table a[href^='/my/services/']",
            run: "click",
        },
        {
            content: "The service is shown with its article and billing period",
            trigger: ".o_portal_wrap .card-header h5",
        },
    ],
});
