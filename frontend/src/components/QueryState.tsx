import { Alert, CircularProgress } from "@mui/material";
import type { ReactNode } from "react";
import { formError } from "../lib/api";

/** What QueryState reads of a query (TanStack Query's result). */
export interface LoadedQuery<T> {
  isLoading: boolean;
  error: unknown;
  data: T | undefined;
}

export interface QueryStateProps<T> {
  query: LoadedQuery<T>;
  /** The spinner's accessible name: "Loading the batch". */
  loadingLabel: string;
  /** What the error says before the reason: "Could not load the batch". */
  failure: string;
  /** Shown after the reason (a way back). */
  errorAction?: ReactNode;
  children: (data: T) => ReactNode;
}

/** One resource: a spinner while it loads, an error with its reason, else its view. */
export function QueryState<T>({ query, loadingLabel, failure, errorAction, children }: QueryStateProps<T>) {
  if (query.isLoading) return <CircularProgress aria-label={loadingLabel} />;
  if (query.error || query.data === undefined)
    return (
      <Alert severity="error">
        {failure}: {formError(query.error)}
        {errorAction && <> {errorAction}</>}
      </Alert>
    );
  return <>{children(query.data)}</>;
}
