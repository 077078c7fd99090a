import * as ToastPrimitive from '@radix-ui/react-toast';
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { cn } from '@/lib/cn';

type Tone = 'info' | 'success' | 'error';
interface ToastItem {
  id: number;
  title: string;
  description?: string;
  tone: Tone;
}
type ShowToast = (toast: Omit<ToastItem, 'id' | 'tone'> & { tone?: Tone }) => void;

const ToastContext = createContext<ShowToast>(() => {});

let nextId = 1;

const tones: Record<Tone, string> = {
  info: 'border-stone-300',
  success: 'border-emerald-500',
  error: 'border-red-500',
};

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<ToastItem[]>([]);
  const show = useCallback<ShowToast>((toast) => {
    setToasts((current) => [...current.slice(-2), { id: nextId++, tone: 'info', ...toast }]);
  }, []);
  const remove = (id: number) => setToasts((current) => current.filter((t) => t.id !== id));
  const value = useMemo(() => show, [show]);
  return (
    <ToastContext.Provider value={value}>
      <ToastPrimitive.Provider swipeDirection="right" duration={6000}>
        {children}
        {toasts.map((t) => (
          <ToastPrimitive.Root
            key={t.id}
            type={t.tone === 'error' ? 'foreground' : 'background'}
            onOpenChange={(open) => !open && remove(t.id)}
            className={cn(
              'flex items-start gap-3 rounded-lg border-l-4 bg-white p-4 shadow-lg ring-1 ring-stone-200',
              'data-[state=closed]:opacity-0 data-[swipe=end]:translate-x-full',
              tones[t.tone],
            )}
          >
            <div className="flex-1">
              <ToastPrimitive.Title className="text-sm font-semibold text-stone-900">{t.title}</ToastPrimitive.Title>
              {t.description && (
                <ToastPrimitive.Description className="mt-1 text-sm text-stone-700">{t.description}</ToastPrimitive.Description>
              )}
            </div>
            <ToastPrimitive.Close className="rounded px-1 text-stone-600 hover:bg-stone-100" aria-label="Dismiss notification">
              <span aria-hidden="true">×</span>
            </ToastPrimitive.Close>
          </ToastPrimitive.Root>
        ))}
        <ToastPrimitive.Viewport className="fixed right-0 bottom-0 z-50 flex w-full max-w-sm flex-col gap-2 p-4 outline-none" />
      </ToastPrimitive.Provider>
    </ToastContext.Provider>
  );
}

export function useToast(): ShowToast {
  return useContext(ToastContext);
}
