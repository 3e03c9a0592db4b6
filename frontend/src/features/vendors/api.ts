import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../../lib/api";

export interface VendorRow {
  id: string;
  name: string;
  display_name: string;
  active: boolean;
  active_prompt_id: string | null;
  active_prompt_name: string;
  invoice_count: number;
}

export interface VendorPrompt {
  id: string;
  prompt_name: string;
  version: number;
  is_active: boolean;
}

export interface VendorChange {
  name?: string;
  display_name?: string;
  active?: boolean;
  extraction_prompt_id?: string | null;
}

export function useVendorTable() {
  return useQuery({
    queryKey: ["vendors"],
    queryFn: ({ signal }) => api<{ vendors: VendorRow[] }>("/api/vendors", { signal }),
    select: (body) => body.vendors,
  });
}

export function useVendorPrompts(vendorId: string | null) {
  return useQuery({
    queryKey: ["prompts", "vendor", vendorId],
    queryFn: ({ signal }) => api<{ prompts: VendorPrompt[] }>(`/api/prompts/vendor/${vendorId}`, { signal }),
    select: (body) => body.prompts,
    enabled: vendorId !== null,
  });
}

export function useSaveVendor() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, change }: { id: string | null; change: VendorChange }) =>
      id
        ? api<{ vendor: VendorRow }>(`/api/vendors/${id}`, { method: "PUT", json: change })
        : api<{ vendor: VendorRow }>("/api/vendors", { json: change }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["vendors"] });
      void queryClient.invalidateQueries({ queryKey: ["prompts"] });
    },
  });
}

export function useDeleteVendor() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api<{ message: string; vendor_name: string }>(`/api/vendors/${id}`, { method: "DELETE" }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["vendors"] }),
  });
}
