//! The SQL table store: typed tables driven by real SQL text (parsed with sqlparser).
