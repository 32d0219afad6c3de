// Placeholder so the target compiles while the module is written.
