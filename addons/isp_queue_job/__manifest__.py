{
    "name": "ISP Runs on the Job Queue",
    "summary": "The invoice, dunning and debit runs in parallel parts through OCA queue_job",
    "version": "18.0.1.0.0",
    "category": "Sales/ISP",
    "author": "ISP Billing",
    "website": "https://github.com/isp-billing/isp-billing",
    "license": "LGPL-3",
    "depends": ["isp_payment_gateway", "queue_job"],
    "data": [
        "data/queue_job_channel_data.xml",
        "data/queue_job_function_data.xml",
    ],
}
