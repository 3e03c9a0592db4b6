import { useQueryClient } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { api, getToken, onSessionExpired, setToken } from "./api";
import type { LoginResponse, User } from "./types";

interface Session {
  user: User | null;
  /** true while a stored token is being checked (after a reload) */
  checking: boolean;
  /** why the app is back at sign in, when it did not ask to be */
  notice: string | null;
  signIn: (email: string, password: string) => Promise<void>;
  signOut: () => Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [user, setUser] = useState<User | null>(null);
  const [checking, setChecking] = useState(() => getToken() !== null);
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(
    () =>
      onSessionExpired(() => {
        setUser(null);
        queryClient.clear();
        setNotice("Your session has expired. Sign in again.");
      }),
    [queryClient],
  );

  useEffect(() => {
    if (!getToken()) return;
    api<{ user: User }>("/api/auth/me")
      .then((body) => setUser(body.user))
      .catch(() => setUser(null))
      .finally(() => setChecking(false));
  }, []);

  const signIn = useCallback(async (email: string, password: string) => {
    const body = await api<LoginResponse>("/api/auth/login", { json: { email, password } });
    setToken(body.token);
    setNotice(null);
    setUser(body.user);
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api("/api/auth/logout", { method: "POST" });
    } catch {
      // the token is dropped here whatever the API said
    }
    setToken(null);
    queryClient.clear();
    setUser(null);
    setNotice("You are signed out.");
  }, [queryClient]);

  const value = useMemo(
    () => ({ user, checking, notice, signIn, signOut }),
    [user, checking, notice, signIn, signOut],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside SessionProvider");
  return session;
}
