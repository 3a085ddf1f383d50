CREATE TABLE "reply_jobs" (
	"conversation_id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"phone_number_id" text NOT NULL,
	"upto_seq" integer NOT NULL,
	"answered_seq" integer NOT NULL,
	"claimed_seq" integer NOT NULL,
	"due_at" bigint NOT NULL,
	"deadline_at" bigint NOT NULL,
	"epoch" integer NOT NULL,
	"leased_until" bigint,
	"attempts" integer NOT NULL,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "status" text DEFAULT 'received' NOT NULL;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "failure_reason" text;--> statement-breakpoint
ALTER TABLE "reply_jobs" ADD CONSTRAINT "reply_jobs_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reply_jobs" ADD CONSTRAINT "reply_jobs_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reply_jobs" ADD CONSTRAINT "reply_jobs_phone_number_id_phone_numbers_id_fk" FOREIGN KEY ("phone_number_id") REFERENCES "public"."phone_numbers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "reply_jobs_due_idx" ON "reply_jobs" USING btree ("due_at");