//! Output that is not one object's line: word lists in columns as Python's `cmd.columnize`
//! lays them out (`describe`, `help`), an object line, and JSON for `--output json`.

use super::json::Json;

/// Python's `cmd.Cmd.columnize`: the fewest rows whose columns, two spaces apart, fit in
/// `width`; filled column by column. Each returned line ends with a newline.
pub fn columnize(words: &[&str], width: usize) -> String {
    if words.is_empty() {
        return "<empty>\n".to_string();
    }
    if words.len() == 1 {
        return format!("{}\n", words[0]);
    }
    let size = words.len();
    let len = |w: &str| w.chars().count();
    let mut layout: Option<(usize, Vec<usize>)> = None;
    for nrows in 1..size {
        let ncols = size.div_ceil(nrows);
        let mut widths = Vec::new();
        let mut total: isize = -2;
        for col in 0..ncols {
            let widest = (0..nrows)
                .map(|row| row + nrows * col)
                .take_while(|i| *i < size)
                .map(|i| len(words[i]))
                .max()
                .unwrap_or(0);
            widths.push(widest);
            total += widest as isize + 2;
            if total > width as isize {
                break;
            }
        }
        if total <= width as isize {
            layout = Some((nrows, widths));
            break;
        }
    }
    let (nrows, widths) = layout.unwrap_or((size, vec![0]));
    let ncols = widths.len();
    let mut out = String::new();
    for row in 0..nrows {
        let mut texts: Vec<&str> = (0..ncols)
            .map(|col| words.get(row + nrows * col).copied().unwrap_or(""))
            .collect();
        while texts.last().is_some_and(|t| t.is_empty()) {
            texts.pop();
        }
        let cells: Vec<String> = texts
            .iter()
            .enumerate()
            .map(|(col, t)| format!("{t:<w$}", w = widths[col]))
            .collect();
        out.push_str(&cells.join("  "));
        out.push('\n');
    }
    out
}

/// `<type> <alias> <fields>` for an object with an id, `<fields>` for one without.
pub fn object_line(type_name: &str, alias: Option<&str>, description: &str) -> String {
    match alias {
        Some(alias) => format!("{type_name} {alias} {description}"),
        None => description.to_string(),
    }
}

/// Objects as one JSON array, as the server sent them.
pub fn json_list<'a>(objects: impl IntoIterator<Item = &'a Json>) -> String {
    Json::Arr(objects.into_iter().cloned().collect()).to_json_pretty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_fill_down_then_across_like_pythons_cmd() {
        let commands = [
            "show", "list", "create", "delete", "set", "clear", "describe", "debug", "sett",
            "cleart", "exit", "quit",
        ];
        assert_eq!(
            columnize(&commands, 76),
            "show  create  set    describe  sett    exit\n\
             list  delete  clear  debug     cleart  quit\n"
        );
        assert_eq!(columnize(&["port"], 76), "port\n");
        assert_eq!(columnize(&[], 76), "<empty>\n");
        let router_fields = crate::cli::schema::Kind::Router.fields();
        assert_eq!(
            columnize(&router_fields, 76),
            "id      name   infilter   load-balancer  in-mirrors   local-redirect-chain\n\
             tenant  state  outfilter  asn            out-mirrors  forward-chain       \n"
        );
    }
}
