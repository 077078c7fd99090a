import { useRef, useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { TextField } from '@/components/ui/field';
import { useToast } from '@/components/ui/toast';
import { usePageTitle } from '@/lib/use-page-title';
import { focusFirstInvalid } from '@/lib/focus-first-invalid';
import { isApiError } from '@/lib/api/errors';
import { useLogin } from '../api/session';
import { useAuth } from '../auth-provider';
import { hasErrors, safeReturnTo, validateLogin, type FieldErrors, type LoginValues } from '../validation';
import { AuthLayout } from './auth-layout';

export function LoginPage() {
  const [params] = useSearchParams();
  const returnTo = safeReturnTo(params.get('returnTo'));
  const expired = params.get('expired') === '1';
  const navigate = useNavigate();
  const toast = useToast();
  const { signIn } = useAuth();
  const login = useLogin();
  const [values, setValues] = useState<LoginValues>({ email: '', password: '' });
  const [errors, setErrors] = useState<FieldErrors<keyof LoginValues>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  usePageTitle('Log in');

  const set = (key: keyof LoginValues) => (e: React.ChangeEvent<HTMLInputElement>) => {
    setValues((v) => ({ ...v, [key]: e.target.value }));
    if (errors[key]) setErrors((errs) => ({ ...errs, [key]: undefined }));
  };

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    const found = validateLogin(values);
    setErrors(found);
    setFormError(null);
    if (hasErrors(found)) {
      focusFirstInvalid(formRef.current);
      return;
    }
    login.mutate(
      { email: values.email.trim(), password: values.password },
      {
        onSuccess: (res) => {
          signIn(res.token, res.user);
          toast({ title: `Welcome back, ${res.user.firstName}`, tone: 'success' });
          navigate(returnTo, { replace: true });
        },
        onError: (err) => {
          if (isApiError(err) && err.code === 'UNAUTHORIZED') setFormError('That email or password is not right. Try again.');
          else if (isApiError(err) && err.code === 'VALIDATION_ERROR') setErrors(err.fields);
          else if (isApiError(err) && err.isNetworkError) setFormError('We could not reach Ticketbooth. Check your connection and try again.');
          else setFormError(isApiError(err) ? err.message : 'Logging in failed. Try again.');
        },
      },
    );
  }

  return (
    <AuthLayout
      title="Log in"
      subtitle={
        <>
          New here?{' '}
          <Link className="font-medium text-brand-700 underline underline-offset-2" to={`/signup?returnTo=${encodeURIComponent(returnTo)}`}>
            Create an account
          </Link>
        </>
      }
    >
      <form ref={formRef} noValidate onSubmit={onSubmit} className="flex flex-col gap-4">
        {expired && !formError && <Alert tone="info">Your session has ended. Log in again to continue.</Alert>}
        {formError && <Alert tone="error">{formError}</Alert>}
        <TextField label="Email or username" name="email" autoComplete="username" value={values.email} onChange={set('email')} error={errors.email} />
        <TextField
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          value={values.password}
          onChange={set('password')}
          error={errors.password}
        />
        <Button type="submit" size="lg" loading={login.isPending}>
          Log in
        </Button>
      </form>
    </AuthLayout>
  );
}
