import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../../lib/api";
import type { Role } from "../../lib/types";

export const ROLES: Role[] = ["viewer", "reviewer", "admin"];

export interface ManagedUser {
  id: string;
  email: string;
  name: string | null;
  role: Role;
  active: boolean;
  created_at: string;
  last_login: string | null;
}

export interface UserList {
  users: ManagedUser[];
  pagination: { page: number; limit: number; total: number; pages: number };
}

export interface NewUser {
  email: string;
  password: string;
  role: Role;
  name?: string;
}

export function useUsers(page: number, limit: number) {
  return useQuery({
    queryKey: ["users", page, limit],
    queryFn: ({ signal }) => api<UserList>(`/api/users?page=${page}&limit=${limit}`, { signal }),
    placeholderData: keepPreviousData,
  });
}

export function useCreateUser() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (user: NewUser) => api<{ message: string; user: ManagedUser }>("/api/users", { json: user }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["users"] }),
  });
}

export function useUpdateUser() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, change }: { id: string; change: { role?: Role; active?: boolean } }) =>
      api<{ message: string; user: ManagedUser }>(`/api/users/${id}`, { method: "PATCH", json: change }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ["users"] }),
  });
}
