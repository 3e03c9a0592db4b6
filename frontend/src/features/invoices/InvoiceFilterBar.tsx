import { Autocomplete, Box, Button, FormControl, FormHelperText, InputLabel, MenuItem, Select, TextField } from "@mui/material";
import { useState } from "react";
import { StatusSelect, VendorSelect } from "../../components/VendorSelect";
import { fieldError } from "../../lib/api";
import type { Customer } from "../../lib/types";
import { useDebouncedDraft } from "../../lib/useUrlFilters";
import { FILTER_KEYS, useBatchNames, useCustomer, useCustomers, useVendors, type FilterKey, type InvoiceFilters } from "./api";

/** The filters whose API errors this bar shows next to their fields (any other goes above the table). */
export const FIELD_FILTERS: FilterKey[] = ["search", "customer_id", "batch_name", "start_date", "end_date", "min_total", "max_total"];

export function hasFilters(filters: InvoiceFilters): boolean {
  return FILTER_KEYS.some((key) => Boolean(filters[key]));
}

interface Props {
  filters: InvoiceFilters;
  update: (change: Partial<InvoiceFilters>) => void;
  error: unknown;
}

/** Customers found as the person types (GET /api/customers?search=), the one in the URL named. */
function CustomerFilter({ filters, update, error }: Props) {
  const [search, setSearch] = useState("");
  const [, setDraft] = useDebouncedDraft(search, setSearch);
  const found = useCustomers(search);
  const chosen = useCustomer(filters.customer_id);
  const value: Customer | null = filters.customer_id ? (chosen.data ?? { id: filters.customer_id, name: chosen.isError ? "Unknown customer" : "…" }) : null;
  const message = fieldError(error, "customer_id") ?? (chosen.isError ? "This customer could not be loaded" : undefined);
  return (
    <Autocomplete
      sx={{ minWidth: 240 }}
      options={found.data?.customers ?? []}
      value={value}
      loading={found.isFetching}
      filterOptions={(options) => options} // the API searches
      getOptionLabel={(c) => c.name}
      isOptionEqualToValue={(a, b) => a.id === b.id}
      onChange={(_e, next) => update({ customer_id: next?.id ?? "" })}
      onInputChange={(_e, text, reason) => setDraft(reason === "input" ? text : "")}
      noOptionsText={found.isError ? "Could not load the customers" : "No customer matches"}
      renderInput={(params) => <TextField {...params} label="Customer" error={Boolean(message)} helperText={message ?? " "} />}
    />
  );
}

/** One field of the amount range, committed after a pause in typing. */
function AmountFilter({ name, label, filters, update, error }: Props & { name: "min_total" | "max_total"; label: string }) {
  const [draft, setDraft] = useDebouncedDraft(filters[name], (value) => update({ [name]: value.trim() }));
  const message = fieldError(error, name);
  return (
    <TextField
      label={label}
      value={draft}
      onChange={(e) => setDraft(e.target.value)}
      inputProps={{ inputMode: "decimal" }}
      error={Boolean(message)}
      helperText={message ?? " "}
      sx={{ width: 140 }}
    />
  );
}

/** Search, status, vendor, customer, batch, invoice date range and total range: each in the URL, each applied by the API. */
export function InvoiceFilterBar(props: Props) {
  const { filters, update, error } = props;
  const vendors = useVendors();
  const batches = useBatchNames();
  const [search, setSearch] = useDebouncedDraft(filters.search, (value) => update({ search: value }));
  const batchError = fieldError(error, "batch_name");
  // a name from a link that the list of names does not hold yet is still shown
  const batchNames = batches.data ?? [];
  const batchOptions = filters.batch_name && !batchNames.includes(filters.batch_name) ? [filters.batch_name, ...batchNames] : batchNames;
  return (
    <Box role="search" aria-label="Invoice filters" sx={{ display: "flex", gap: 2, flexWrap: "wrap", mb: 2, alignItems: "flex-start" }}>
      <TextField
        label="Search"
        helperText={fieldError(error, "search") ?? "Number, customer or PO number"}
        error={Boolean(fieldError(error, "search"))}
        value={search}
        onChange={(e) => setSearch(e.target.value)}
        sx={{ minWidth: 260 }}
      />
      <StatusSelect labelId="filter-status-label" value={filters.status} onChange={(status) => update({ status })} sx={{ minWidth: 160 }} />
      <VendorSelect labelId="filter-vendor-label" vendors={vendors} value={filters.vendor_id} onChange={(vendor_id) => update({ vendor_id })} sx={{ minWidth: 200 }} />
      <CustomerFilter {...props} />
      <FormControl sx={{ minWidth: 240 }} error={Boolean(batchError) || batches.isError}>
        <InputLabel id="filter-batch-label">Batch</InputLabel>
        <Select
          labelId="filter-batch-label"
          label="Batch"
          value={batches.data ? filters.batch_name : ""}
          onChange={(e) => update({ batch_name: e.target.value })}
          aria-describedby="filter-batch-help"
        >
          <MenuItem value="">Any batch</MenuItem>
          {batchOptions.map((name) => (
            <MenuItem key={name} value={name}>
              {name}
            </MenuItem>
          ))}
        </Select>
        <FormHelperText id="filter-batch-help">{batchError ?? (batches.isError ? "Could not load the batches" : " ")}</FormHelperText>
      </FormControl>
      {(["start_date", "end_date"] as const).map((key) => (
        <TextField
          key={key}
          label={key === "start_date" ? "Invoice date from" : "Invoice date to"}
          type="date"
          value={filters[key]}
          onChange={(e) => update({ [key]: e.target.value })}
          InputLabelProps={{ shrink: true }}
          error={Boolean(fieldError(error, key))}
          helperText={fieldError(error, key) ?? " "}
        />
      ))}
      <AmountFilter {...props} name="min_total" label="Total from" />
      <AmountFilter {...props} name="max_total" label="Total to" />
      {hasFilters(filters) && (
        <Button sx={{ mt: 1 }} onClick={() => update(Object.fromEntries(FILTER_KEYS.map((key) => [key, ""])))}>
          Clear filters
        </Button>
      )}
    </Box>
  );
}
