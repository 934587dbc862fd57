// Negative control for check_weak_symbols.cmake: compiled into two objects at -O0, the inline
// function below becomes a weak symbol defined in both, which the check must report.
inline int ddnn_weak_symbol_fixture(int x) { return x * 3 + 1; }
int ddnn_weak_symbol_fixture_user(int x);
int ddnn_weak_symbol_fixture_user(int x) { return ddnn_weak_symbol_fixture(x); }
