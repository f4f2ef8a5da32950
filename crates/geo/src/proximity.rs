//! The proximity engine: a model of moving around Milan on foot and by public transport.
