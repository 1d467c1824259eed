-- Phase 6 — cross-framework UI adaptation layer
-- Adapter contracts for non-native UI frameworks (envelope emission,
-- interaction reporting, adapter specs) and a per-hub API key.

-- Rules for widget envelope emission: required data-* attributes, their
-- format and the contract version.
-- status: draft | active | superseded
CREATE TABLE envelope_emission_contracts (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY NOT NULL,
    contract_version TEXT NOT NULL UNIQUE,
    required_attributes JSONB NOT NULL,
    optional_attributes JSONB NOT NULL DEFAULT '[]',
    validation_rules JSONB NOT NULL DEFAULT '{}',
    description TEXT,
    status TEXT NOT NULL DEFAULT 'active',
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL
);
CREATE INDEX envelope_emission_contracts_status_idx ON envelope_emission_contracts (status);

-- REST interface contract for external event and annotation submission,
-- used by non-native adapters.
CREATE TABLE interaction_reporting_contracts (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY NOT NULL,
    contract_version TEXT NOT NULL UNIQUE,
    endpoint_path TEXT NOT NULL,
    accepted_event_types JSONB NOT NULL,
    required_fields JSONB NOT NULL,
    auth_scheme TEXT NOT NULL DEFAULT 'bearer',
    description TEXT,
    status TEXT NOT NULL DEFAULT 'active',
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL
);
CREATE INDEX interaction_reporting_contracts_status_idx ON interaction_reporting_contracts (status);

-- How a specific UI technology maps to the widget protocol obligations.
-- status: draft | active | deprecated
CREATE TABLE widget_adapter_specs (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    framework TEXT NOT NULL,
    version TEXT NOT NULL,
    envelope_contract_id UUID REFERENCES envelope_emission_contracts(id),
    reporting_contract_id UUID REFERENCES interaction_reporting_contracts(id),
    status TEXT NOT NULL DEFAULT 'draft',
    notes TEXT,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL
);
CREATE INDEX widget_adapter_specs_framework_idx ON widget_adapter_specs (framework);
CREATE INDEX widget_adapter_specs_status_idx ON widget_adapter_specs (status);

-- Link widgets to their adapter spec (null = native widget).
ALTER TABLE widgets
    ADD COLUMN adapter_spec_id UUID REFERENCES widget_adapter_specs(id);
CREATE INDEX widgets_adapter_spec_id_idx ON widgets (adapter_spec_id);

-- Per-hub API key for bearer-token auth on the reporting endpoint.
-- A credential: never copied into a snapshot or a report.
ALTER TABLE hubs
    ADD COLUMN api_key TEXT;
