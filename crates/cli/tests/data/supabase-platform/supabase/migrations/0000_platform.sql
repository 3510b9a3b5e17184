-- A Drizzle journal inside supabase/migrations: still a Supabase database.
CREATE TABLE "documents" (
	"id" uuid PRIMARY KEY DEFAULT extensions.uuid_generate_v4() NOT NULL,
	"owner" uuid NOT NULL REFERENCES auth.users (id),
	"path" text NOT NULL,
	"token" bytea DEFAULT extensions.gen_random_bytes(16)
);
--> statement-breakpoint
CREATE INDEX "documents_owner_idx" ON "documents" ("owner");
--> statement-breakpoint
ALTER TABLE "documents" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "own folder" ON storage.objects FOR SELECT TO authenticated
  USING (bucket_id = 'docs' AND (storage.foldername(name))[1] = auth.uid()::text);
--> statement-breakpoint
ALTER TABLE realtime.messages ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "members read" ON realtime.messages FOR SELECT TO authenticated USING (realtime.messages.extension = 'broadcast');
--> statement-breakpoint
INSERT INTO storage.buckets (id, name, public, file_size_limit, allowed_mime_types) VALUES ('docs', 'docs', false, 52428800, ARRAY['application/pdf']);
--> statement-breakpoint
SELECT vault.create_secret('s3cr3t', 'api_key');
--> statement-breakpoint
CREATE POLICY "owner" ON "documents" FOR ALL TO authenticated USING (owner = auth.uid());
