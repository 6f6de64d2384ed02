-- The PostgreSQL DDL of chapi's reference schema document ("PostgreSQL DDL
-- (Starter)"), kept verbatim, defects included: test_schema_reference.py (next to this file)
-- applies it next to chapi's migration and compares the two schemas.

CREATE EXTENSION IF NOT EXISTS "uuid-ossp";

CREATE TABLE projects (
  id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
  name text NOT NULL,
  description text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE environments (
  id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
  project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name text NOT NULL,
  base_url text NOT NULL,
  secrets jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, name)
);

CREATE TABLE api_specs (
  id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
  project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  version text NOT NULL,
  raw_json jsonb NOT NULL,
  source_url text,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE endpoint_catalog (
  id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
  project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  spec_id uuid NOT NULL REFERENCES api_specs(id) ON DELETE CASCADE,
  method text NOT NULL,
  path text NOT NULL,
  summary text NOT NULL,
  auth text NOT NULL,
  req_content text NOT NULL,
  success_content text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_endpoint_catalog_project_path_method ON endpoint_catalog(project_id, path, method);

CREATE TABLE conversations (
  id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
  project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  title text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_conversations_project_created ON conversations(project_id, created_at DESC);

CREATE TABLE messages (
  id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
  conversation_id uuid NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  role text NOT NULL,
  content text NOT NULL,
  card_type text NOT NULL DEFAULT 'none',
  card_payload jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_messages_conversation_created ON messages(conversation_id, created_at);

CREATE TABLE run_packs (
  id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
  project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  conversation_id uuid REFERENCES conversations(id) ON DELETE SET NULL,
  message_id uuid REFERENCES messages(id) ON DELETE SET NULL,
  run_id uuid REFERENCES runs(id) ON DELETE SET NULL,
  mode text NOT NULL,
  files_count integer NOT NULL DEFAULT 0,
  zip_url text,
  status text NOT NULL DEFAULT 'draft',
  generator_version text,
  card_hash text,
  inputs_hash text,
  created_at timestamptz NOT NULL DEFAULT now(),
  finalized_at timestamptz
);
CREATE INDEX ix_run_packs_project_created ON run_packs(project_id, created_at DESC);
CREATE INDEX ix_run_packs_conversation ON run_packs(conversation_id, created_at DESC);
CREATE UNIQUE INDEX ix_run_packs_message ON run_packs(message_id) WHERE message_id IS NOT NULL;

CREATE TABLE run_pack_files (
  id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
  runpack_id uuid NOT NULL REFERENCES run_packs(id) ON DELETE CASCADE,
  path text NOT NULL,
  content text NOT NULL,
  size_bytes integer NOT NULL DEFAULT 0,
  role text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (runpack_id, path)
);

CREATE TABLE run_pack_inputs (
  id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
  runpack_id uuid NOT NULL UNIQUE REFERENCES run_packs(id) ON DELETE CASCADE,
  file_roles_json jsonb NOT NULL,
  role_contexts_json jsonb NOT NULL,
  endpoints_context text NOT NULL,
  allowed_ops text NOT NULL,
  env text NOT NULL,
  selector_output_json jsonb,
  notes text,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE run_pack_validations (
  id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
  runpack_id uuid NOT NULL REFERENCES run_packs(id) ON DELETE CASCADE,
  file_path text NOT NULL,
  rule text NOT NULL,
  passed boolean NOT NULL,
  details jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_run_pack_validations_file ON run_pack_validations(runpack_id, file_path);

CREATE TABLE runs (
  id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
  project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  env_id uuid NOT NULL REFERENCES environments(id) ON DELETE RESTRICT,
  status text NOT NULL,
  user_query text NOT NULL,
  card jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz
);
CREATE INDEX ix_runs_project_created ON runs(project_id, created_at DESC);

CREATE TABLE artifacts (
  id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
  run_id uuid NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  path text NOT NULL,
  content text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (run_id, path)
);

-- Optional modules
CREATE TABLE integrations_github (
  id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
  project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  installation_id text NOT NULL,
  repo text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE policies (
  id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
  project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  type text NOT NULL,
  rules jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE endpoint_discovery (
  id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
  project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  code_snippet text NOT NULL,
  detected_path text NOT NULL,
  detected_method text NOT NULL,
  status text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
