import {
  CircularProgress,
  Table,
  TableBody,
  TableCell,
  TableContainer,
  TableHead,
  TablePagination,
  TableRow,
  type TableCellProps,
  type TableRowProps,
} from "@mui/material";
import { useState, type KeyboardEvent, type ReactNode } from "react";
import { PAGE_SIZES } from "../lib/useUrlFilters";

export interface Column<Row> {
  head: ReactNode;
  cell: (row: Row) => ReactNode;
  align?: TableCellProps["align"];
  /** More props of the header cell (sortDirection, padding, sx; an align of its own). */
  headProps?: Omit<TableCellProps, "children">;
  cellProps?: Omit<TableCellProps, "children">;
}

/** What the table reads of a query (TanStack Query's result). */
export interface QueryStatus {
  isLoading: boolean;
  isSuccess: boolean;
  isFetching: boolean;
}

/** The status of rows that are already there (part of a resource that has loaded). */
export const LOADED: QueryStatus = { isLoading: false, isSuccess: true, isFetching: false };

export interface TablePaging {
  count: number;
  /** From 1. */
  page: number;
  limit: number;
  onPage: (page: number) => void;
  onLimit: (limit: number) => void;
  sizes?: number[];
}

export interface DataTableProps<Row extends { id: string }> {
  /** The table's accessible name. */
  label: string;
  columns: Column<Row>[];
  /** Keyed by their id. */
  rows: Row[];
  query: QueryStatus;
  /** The loading spinner's accessible name. */
  loadingLabel?: string;
  /** What an empty list says (once it has loaded); no line when not given. */
  empty?: ReactNode;
  rowProps?: (row: Row) => Omit<TableRowProps, "children">;
  paging?: TablePaging;
}

const CONTROLS = "a[href], button:not([disabled]), input[type=checkbox]:not([disabled])";

/** Up and Down move from a link, button or checkbox in one row to the one in the same place in the next. */
function moveBetweenRows(event: KeyboardEvent<HTMLTableSectionElement>) {
  if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
  const target = event.target as HTMLElement;
  const row = target.closest("tr");
  if (!row || !target.matches(CONTROLS)) return;
  const next = (event.key === "ArrowDown" ? row.nextElementSibling : row.previousElementSibling) as HTMLElement | null;
  if (!next) return;
  const place = Array.from(row.querySelectorAll<HTMLElement>(CONTROLS)).indexOf(target);
  const controls = next.querySelectorAll<HTMLElement>(CONTROLS);
  const to = controls[Math.min(place, controls.length - 1)];
  if (!to) return;
  event.preventDefault();
  to.focus();
}

/** A list as a table: its columns, a spinner while loading, a line when empty, pages. */
export function DataTable<Row extends { id: string }>({ label, columns, rows, query, loadingLabel = "Loading", empty, rowProps, paging }: DataTableProps<Row>) {
  return (
    <>
      <TableContainer>
        <Table size="small" aria-label={label} aria-busy={query.isFetching}>
          <TableHead>
            <TableRow>
              {columns.map((c, i) => (
                <TableCell key={i} align={c.align} {...c.headProps}>
                  {c.head}
                </TableCell>
              ))}
            </TableRow>
          </TableHead>
          <TableBody onKeyDown={moveBetweenRows}>
            {rows.map((row) => (
              <TableRow key={row.id} hover {...rowProps?.(row)}>
                {columns.map((c, i) => (
                  <TableCell key={i} align={c.align} {...c.cellProps}>
                    {c.cell(row)}
                  </TableCell>
                ))}
              </TableRow>
            ))}
            {query.isLoading && (
              <TableRow>
                <TableCell colSpan={columns.length} align="center">
                  <CircularProgress size={24} aria-label={loadingLabel} />
                </TableCell>
              </TableRow>
            )}
            {query.isSuccess && rows.length === 0 && empty !== undefined && (
              <TableRow>
                <TableCell colSpan={columns.length} align="center">
                  {empty}
                </TableCell>
              </TableRow>
            )}
          </TableBody>
        </Table>
      </TableContainer>
      {paging && (
        <TablePagination
          component="div"
          count={paging.count}
          page={paging.page - 1}
          rowsPerPage={paging.limit}
          rowsPerPageOptions={paging.sizes ?? PAGE_SIZES}
          onPageChange={(_e, page) => paging.onPage(page + 1)}
          onRowsPerPageChange={(e) => paging.onLimit(Number(e.target.value))}
        />
      )}
    </>
  );
}

/** Paging kept in the component (a list whose page is not in the URL): a new page size starts at page 1. */
export function usePaging(initialLimit = 50) {
  const [page, setPage] = useState(1);
  const [limit, setLimit] = useState(initialLimit);
  return {
    page,
    limit,
    onPage: setPage,
    onLimit: (next: number) => {
      setLimit(next);
      setPage(1);
    },
  };
}
