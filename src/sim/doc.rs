//! The document store: collections of JSON documents with a per-document schema version.
