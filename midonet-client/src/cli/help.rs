//! MidoNet's help texts, word for word (its command docstrings), and ours for `tree`.

/// `help <command>` texts; each is printed followed by a newline, as Python's `print` does.
pub const COMMAND_HELP: &[(&str, &str)] = &[
    ("show", "show - Show an object or field\n\n    Usage: s[how] <TYPE>\n           s[how] <OBJECT> {<CHILD>} [<FIELD>]\n           <OBJECT> s[how] {<CHILD>} [<FIELD>]\n           <OBJECT> {<CHILD>} s[how] [<FIELD>]\n           <OBJECT> {<CHILD>} [<FIELD>] s[how]\n           <OBJECT> {<CHILD>} [<FIELD>]\n\n    Examples:\n           show router router0\n           sh router router0 port port2\n           router router0 port port2 show infilter\n           vtep management-ip 192.168.0.1 show name\n    "),
    ("list", "list - List the children of an object of a given type\n\n    Usage: l[ist] [<OBJECT> {<CHILD>}] <COLlECTION_NAME>\n           <OBJECT> l[ist] {<CHILD>} <COLlECTION_NAME>\n           [<OBJECT> {<CHILD>}] <COLlECTION_NAME> l[ist]\n\n    Examples:\n           list router\n           router router0 list port\n           router router0 route list\n    "),
    ("create", "create - Create a new object\n\n    Usage: create|add [<OBJECT> {<CHILD>}] <TYPE> {<FIELD> <VALUE>}\n           [<OBJECT> {<CHILD>}] create|add <TYPE> {<FIELD> <VALUE>}\n           [<OBJECT> {<CHILD>}] <TYPE> create|add {<FIELD> <VALUE>}\n\n    Examples:\n           create router name 'new router'\n           router router0 add port address 1.1.1.1 net 1.1.1.0/24\n    "),
    ("delete", "delete - Delete an object\n\n    Usage: delete <OBJECT> {<CHILD>}\n           <OBJECT> {<CHILD>} delete {<CHILD>}\n\n    Examples:\n           delete router router0 name 'new name for router'\n           delete vtep management-ip 192.168.0.1\n           delete vtep management-ip 192.168.0.1 binding vlan xxx\n           router router0 port port0 delete\n           router router0 delete port port0\n           vtep management-ip 192.168.0.1 delete\n           vtep management-ip 192.168.0.1 delete binding vlan xxx\n    "),
    ("set", "set - Update values in an existing object\n\n    Usage: set <OBJECT> {<CHILD>} <FIELD> <VALUE> {<FIELD> <VALUE>}\n           <OBJECT> {<CHILD>} set <FIELD> <VALUE> {<FIELD> <VALUE>}\n\n    Examples:\n           set router router name 'new name for router'\n           router router0 port port0 set address 1.1.1.1 net 1.1.1.0/24\n    "),
    ("clear", "clear - Clear the value of a field on an existing object\n\n    Usage: clear <OBJECT> {<CHILD>} <FIELD> {<FIELD>}\n           <OBJECT> {<CHILD>} clear <FIELD> {<FIELD>}\n\n    Examples:\n           clear bridge bridge0 port port0 peer\n           bridge bridge0 port port0 clear peer\n    "),
    ("describe", "describe - Show the names of members of an object\n\n    Usage: desc[ribe] [<OBJECT> {<CHILD>}]\n           <OBJECT> {<CHILD>} desc[ribe]\n\n    Examples:\n           describe\n           describe router router0\n           router router0 port port2 describe\n    "),
    ("debug", "debug - Toggle debug mode\n\n    Usage: debug on|off\n    "),
    ("sett", "sett - Sets a tenant id to the session\n\n    Usage: sett <TENANT_ID>\n\n    Examples:\n           sett <TENANT_ID_A>\n           list router\n           cleart\n    "),
    ("cleart", "cleart - Clears the current tenant from session\n\n    Usage: cleart\n\n    Examples:\n           sett <TENANT_ID_A>\n           list router\n           cleart\n    "),
    ("tree", "tree - Show a router or bridge with what hangs off it (ours, not MidoNet's)\n\n    Usage: tree <OBJECT>\n           <OBJECT> tree\n\n    A router shows its ports, each port's peer and the device it belongs to; a\n    bridge shows its ports, the routers they link to, and for each exterior port\n    the host and interface it is bound to. With --output json, the same as JSON.\n\n    Examples:\n           tree router router0\n           bridge bridge0 tree\n    "),
    ("trace", super::trace::USAGE),
    ("history", super::history::USAGE),
    ("exit", "quit - end the current session and exit"),
    ("quit", "exit - end the current session and exit"),
];

/// The command names `help` lists, in MidoNet's order (with ours before `exit`).
pub const COMMANDS: &[&str] = &[
    "show", "list", "create", "delete", "set", "clear", "describe", "debug", "sett", "cleart",
    "tree", "trace", "history", "exit", "quit",
];
