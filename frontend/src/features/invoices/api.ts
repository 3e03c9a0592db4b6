import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../../lib/api";
import type { Customer, InvoiceList, UploadSummary, Vendor } from "../../lib/types";

/** The list's filters as GET /api/invoices names them (app/endpoints/filters.py), with their defaults. */
export const FILTER_DEFAULTS = {
  search: "",
  status: "",
  vendor_id: "",
  customer_id: "",
  batch_name: "",
  start_date: "",
  end_date: "",
  min_total: "",
  max_total: "",
  sort: "-created_at",
};
export type FilterKey = Exclude<keyof typeof FILTER_DEFAULTS, "sort">;
export const FILTER_KEYS = Object.keys(FILTER_DEFAULTS).filter((key) => key !== "sort") as FilterKey[];

export type InvoiceFilters = typeof FILTER_DEFAULTS & { page: number; limit: number };

export function listQuery(filters: InvoiceFilters): string {
  const params = new URLSearchParams();
  for (const key of [...FILTER_KEYS, "sort"] as const) {
    if (filters[key]) params.set(key, filters[key]);
  }
  params.set("page", String(filters.page));
  params.set("limit", String(filters.limit));
  return params.toString();
}

export function useInvoices(filters: InvoiceFilters) {
  return useQuery({
    queryKey: ["invoices", filters],
    queryFn: ({ signal }) => api<InvoiceList>(`/api/invoices?${listQuery(filters)}`, { signal }),
    placeholderData: keepPreviousData,
  });
}

export function useVendors() {
  return useQuery({
    queryKey: ["vendors"],
    queryFn: ({ signal }) => api<{ vendors: Vendor[] }>("/api/vendors", { signal }),
    select: (body) => body.vendors,
    staleTime: 60_000,
  });
}

/** Customers whose name (or an alias) holds `search`, the first 50 by name. */
export function useCustomers(search: string) {
  return useQuery({
    queryKey: ["customers", "search", search],
    queryFn: ({ signal }) => api<{ customers: Customer[]; total: number }>(`/api/customers?${new URLSearchParams({ search, limit: "50" })}`, { signal }),
    placeholderData: keepPreviousData,
    staleTime: 60_000,
  });
}

/** One customer, for the name of the one a link's customer_id names. */
export function useCustomer(id: string) {
  return useQuery({
    queryKey: ["customers", id],
    queryFn: ({ signal }) => api<{ customer: Customer }>(`/api/customers/${encodeURIComponent(id)}`, { signal }),
    select: (body) => body.customer,
    enabled: Boolean(id),
    staleTime: 60_000,
  });
}

/** The batch names the list filters by ("Single Upload" first). */
export function useBatchNames() {
  return useQuery({
    queryKey: ["batches", "names"],
    queryFn: ({ signal }) => api<{ batches: { name: string }[] }>("/api/batches/names", { signal }),
    select: (body) => body.batches.map((b) => b.name),
    staleTime: 30_000,
  });
}

export function useUpload() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ vendorId, file }: { vendorId: string; file: File }) => {
      const form = new FormData();
      form.set("vendor_id", vendorId);
      form.set("invoice", file);
      return api<{ message: string; invoice: UploadSummary }>("/api/invoices/upload", { form });
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["invoices"] }),
  });
}

/** Delete invoices one by one; the ids that could not be deleted, with why. */
export function useDeleteInvoices() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (ids: string[]) => {
      const failures: { id: string; error: string }[] = [];
      for (const id of ids) {
        try {
          await api(`/api/invoices/${id}`, { method: "DELETE" });
        } catch (error) {
          failures.push({ id, error: error instanceof Error ? error.message : String(error) });
        }
      }
      return failures;
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: ["invoices"] }),
  });
}
