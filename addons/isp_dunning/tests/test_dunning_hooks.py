from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import tagged

from .common import IspDunningCase


@tagged("post_install", "-at_install")
class TestDunningHooks(IspDunningCase):
    def test_prepare_dunning_step_vals_override(self):
        """Issue 15: an addon overriding _isp_prepare_dunning_step_vals changes the steps a run creates."""
        invoice = self._due_invoice(self.business, 1000.0, "2025-05-31", invoice_date="2025-05-17")
        self._run("2025-06-07")
        run_class = type(self.env["isp.dunning.run"])
        original = run_class._isp_prepare_dunning_step_vals
        calls = []

        def prepare_dunning_step_vals(run, plan, step, letter):
            values = original(run, plan, step, letter)
            calls.append((plan["partner"], step["move"], letter))
            return dict(values, interest_rate=f"{values['interest_rate']} (§288 BGB)")

        with (
            freeze_time("2025-06-21"),
            patch.object(run_class, "_isp_prepare_dunning_step_vals", prepare_dunning_step_vals),
        ):
            run = self.env["isp.dunning.run"].with_user(self.manager).create({})
            run.action_confirm()

        step = run.step_ids
        self.assertEqual(calls, [(self.business, invoice, run.letter_ids)])
        self.assertEqual(step.letter_id, run.letter_ids)
        self.assertEqual(step.level_id, self.dunning_1)
        # 1 to 21 June: 21 days at 2.27 + 9 = 11.27 % on 1,000.00 = 6.48; the flat fee with the first interest
        self.assertEqual(
            (step.interest_rate, step.interest_amount, step.flat_fee_amount), ("11.27 % (§288 BGB)", 6.48, 40.0)
        )
        self.assertAlmostEqual(run.letter_ids.charge_move_id.amount_total, 46.48)
