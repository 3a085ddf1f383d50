CREATE TABLE `reply_jobs` (
	`conversation_id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`phone_number_id` text NOT NULL,
	`upto_seq` integer NOT NULL,
	`answered_seq` integer NOT NULL,
	`claimed_seq` integer NOT NULL,
	`due_at` integer NOT NULL,
	`deadline_at` integer NOT NULL,
	`epoch` integer NOT NULL,
	`leased_until` integer,
	`attempts` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`conversation_id`) REFERENCES `conversations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`phone_number_id`) REFERENCES `phone_numbers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `reply_jobs_due_idx` ON `reply_jobs` (`due_at`);--> statement-breakpoint
ALTER TABLE `messages` ADD `status` text DEFAULT 'received' NOT NULL;--> statement-breakpoint
ALTER TABLE `messages` ADD `failure_reason` text;