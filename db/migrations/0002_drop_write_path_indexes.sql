DROP INDEX `outbox_state_idx`;--> statement-breakpoint
DROP INDEX `rec_billing_line_sync_idx`;--> statement-breakpoint
DROP INDEX `rec_equipment_interchange_sync_idx`;--> statement-breakpoint
DROP INDEX `rec_gate_event_sync_idx`;--> statement-breakpoint
DROP INDEX `rec_inspection_sync_idx`;--> statement-breakpoint
DROP INDEX `rec_note_sync_idx`;--> statement-breakpoint
DROP INDEX `rec_work_order_sync_idx`;--> statement-breakpoint
DROP INDEX `rec_yard_count_sync_idx`;