import { registry } from "@web/core/registry";

// A back-office clerk creates a prospect, works it through the pipeline,
// converts it and finds its customer number and credit balance.
registry.category("web_tour.tours").add("isp_customer_clerk_tour", {
    url: "/odoo/action-isp_customer.isp_prospect_action",
    steps: () => [
        {
            content: "Create a prospect from the pipeline",
            trigger: ".o-kanban-button-new",
            run: "click",
        },
        {
            content: "Name the prospect",
            trigger: ".o_field_widget[name=name] :is(input, textarea)",
            run: "edit Tour Prospect GmbH",
        },
        {
            content: "Save",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "The prospect starts in the first stage",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('To call for first contact')",
        },
        {
            content: "Move it to 'Will call us'",
            trigger: ".o_statusbar_status button:contains('Will call us')",
            run: "click",
        },
        {
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Will call us')",
        },
        {
            content: "Convert into a customer",
            trigger: "button[name=action_isp_convert_to_customer]",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "The customer number is shown",
            trigger: ".o_field_widget[name=isp_customer_number]:contains('K0')",
        },
        {
            content: "Open the Billing tab",
            trigger: ".o_notebook a:contains('Billing')",
            run: "click",
        },
        {
            content: "The credit balance is shown",
            trigger: ".o_field_widget[name=isp_credit_balance]:contains('0.00')",
        },
        {
            content: "The clerk cannot change the customer class",
            trigger: ".o_notebook a:contains('Customer')",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=isp_customer_class].o_readonly_modifier",
        },
    ],
});

// A manager makes a customer a trusted reseller with quota and billing profile.
registry.category("web_tour.tours").add("isp_customer_manager_tour", {
    url: "/odoo/action-isp_customer.isp_customer_action",
    steps: () => [
        {
            content: "Open the customer",
            trigger: ".o_data_row td:contains('Tour Reseller KG')",
            run: "click",
        },
        {
            trigger: ".o_notebook a:contains('Customer')",
            run: "click",
        },
        {
            content: "Make it a trusted reseller",
            trigger: ".o_field_widget[name=isp_customer_class] select",
            run: "select \"reseller\"",
        },
        {
            trigger: ".o_field_widget[name=isp_order_quota] input",
            run: "edit 2500",
        },
        {
            trigger: ".o_field_widget[name=isp_reseller_period] select",
            run: "select \"monthly\"",
        },
        {
            trigger: ".o_notebook a:contains('Billing')",
            run: "click",
        },
        {
            content: "Bill quarterly by direct debit",
            trigger: ".o_field_widget[name=isp_billing_interval] select",
            run: "select \"quarterly\"",
        },
        {
            trigger: ".o_field_widget[name=isp_payment_method] select",
            run: "select \"sepa\"",
        },
        {
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Saved",
            trigger: ".o_form_saved",
        },
    ],
});
