{
    "name": "ISP Payment Flows (tests)",
    "summary": "Online payments and credit top-ups through Odoo's demo and Stripe payment providers",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tests",
    "author": "ISP Billing",
    "website": "https://github.com/isp-billing/isp-billing",
    "license": "LGPL-3",
    "depends": ["isp_payment_gateway", "payment_demo", "payment_stripe"],
    "data": [],
    "installable": True,
}
