/** Sets first-party cookie `name` for `age` seconds (0 deletes it): path /, SameSite=Lax, Secure on https. */
export const cookie = (name: string, value: string, age: number): void => {
  document.cookie = `${name}=${value};path=/;max-age=${age};SameSite=Lax${location.protocol == 'https:' ? ';Secure' : ''}`;
};
