import { useRef, useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { TextField } from '@/components/ui/field';
import { useToast } from '@/components/ui/toast';
import { usePageTitle } from '@/lib/use-page-title';
import { focusFirstInvalid } from '@/lib/focus-first-invalid';
import { isApiError } from '@/lib/api/errors';
import { login, useSignup } from '../api/session';
import { useAuth } from '../auth-provider';
import { hasErrors, safeReturnTo, validateSignup, type FieldErrors, type SignupValues } from '../validation';
import { AuthLayout } from './auth-layout';

const empty: SignupValues = { firstName: '', lastName: '', email: '', username: '', password: '' };

export function SignupPage() {
  const [params] = useSearchParams();
  const returnTo = safeReturnTo(params.get('returnTo'));
  const navigate = useNavigate();
  const toast = useToast();
  const { signIn } = useAuth();
  const signup = useSignup();
  const [values, setValues] = useState<SignupValues>(empty);
  const [errors, setErrors] = useState<FieldErrors<keyof SignupValues>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  usePageTitle('Sign up');

  const set = (key: keyof SignupValues) => (e: React.ChangeEvent<HTMLInputElement>) => {
    setValues((v) => ({ ...v, [key]: e.target.value }));
    if (errors[key]) setErrors((errs) => ({ ...errs, [key]: undefined }));
  };

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    const found = validateSignup(values);
    setErrors(found);
    setFormError(null);
    if (hasErrors(found)) {
      focusFirstInvalid(formRef.current);
      return;
    }
    const body = {
      firstName: values.firstName.trim(),
      lastName: values.lastName.trim(),
      email: values.email.trim(),
      password: values.password,
      ...(values.username.trim() ? { username: values.username.trim() } : {}),
    };
    signup.mutate(body, {
      onSuccess: async () => {
        try {
          const res = await login({ email: body.email, password: body.password });
          signIn(res.token, res.user);
          toast({ title: `Welcome to Ticketbooth, ${res.user.firstName}`, tone: 'success' });
          navigate(returnTo, { replace: true });
        } catch {
          navigate(`/login?returnTo=${encodeURIComponent(returnTo)}`, { replace: true });
        }
      },
      onError: (err) => {
        if (isApiError(err) && err.code === 'USER_EXISTS') {
          setErrors({ email: 'An account with this email or username already exists. Log in instead?' });
          focusFirstInvalid(formRef.current);
        } else if (isApiError(err) && err.code === 'VALIDATION_ERROR' && Object.keys(err.fields).length) {
          setErrors(err.fields);
          focusFirstInvalid(formRef.current);
        } else if (isApiError(err) && err.isNetworkError) {
          setFormError('We could not reach Ticketbooth. Check your connection and try again.');
        } else {
          setFormError(isApiError(err) ? err.message : 'Signing up failed. Try again.');
        }
      },
    });
  }

  return (
    <AuthLayout
      title="Create your account"
      subtitle={
        <>
          Already have one?{' '}
          <Link className="font-medium text-brand-700 underline underline-offset-2" to={`/login?returnTo=${encodeURIComponent(returnTo)}`}>
            Log in
          </Link>
        </>
      }
    >
      <form ref={formRef} noValidate onSubmit={onSubmit} className="flex flex-col gap-4">
        {formError && <Alert tone="error">{formError}</Alert>}
        <div className="grid gap-4 sm:grid-cols-2">
          <TextField label="First name" name="firstName" autoComplete="given-name" value={values.firstName} onChange={set('firstName')} error={errors.firstName} />
          <TextField label="Last name" name="lastName" autoComplete="family-name" value={values.lastName} onChange={set('lastName')} error={errors.lastName} />
        </div>
        <TextField label="Email" name="email" type="email" autoComplete="email" value={values.email} onChange={set('email')} error={errors.email} />
        <TextField
          label="Username (optional)"
          name="username"
          autoComplete="off"
          value={values.username}
          onChange={set('username')}
          error={errors.username}
          hint="Made from your email if left empty."
        />
        <TextField
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          value={values.password}
          onChange={set('password')}
          error={errors.password}
          hint="At least 8 characters."
        />
        <Button type="submit" size="lg" loading={signup.isPending}>
          Create account
        </Button>
      </form>
    </AuthLayout>
  );
}
