//! Writes history off the request path: a committed transaction hands its changes to
//! [`HistoryWriter::offer`], which never waits; a background task stores them in the state
//! store in order, retrying a failed write a few times. If the store falls so far behind that
//! the queue is full, the changes are dropped, counted and logged: topology writes never wait
//! on history.
