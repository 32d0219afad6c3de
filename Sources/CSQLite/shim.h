#ifndef PICKET_CSQLITE_SHIM_H
#define PICKET_CSQLITE_SHIM_H
#include <sqlite3.h>

// sqlite3_bind_text and sqlite3_bind_blob take a destructor; SQLITE_TRANSIENT is
// a cast macro that Swift cannot import, so it is spelled out here once.
static inline int picket_sqlite3_bind_text_transient(sqlite3_stmt *stmt, int index, const char *text, int length) {
    return sqlite3_bind_text(stmt, index, text, length, SQLITE_TRANSIENT);
}
// SQLITE_STATIC: SQLite reads the text in place until it is bound again, cleared or the statement is finalized.
static inline int picket_sqlite3_bind_text_static(sqlite3_stmt *stmt, int index, const char *text, int length) {
    return sqlite3_bind_text(stmt, index, text, length, SQLITE_STATIC);
}
static inline int picket_sqlite3_bind_blob_transient(sqlite3_stmt *stmt, int index, const void *data, int length) {
    return sqlite3_bind_blob(stmt, index, data, length, SQLITE_TRANSIENT);
}
#endif
