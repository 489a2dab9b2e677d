/** A table's numeric column headers: one `<th scope="col" class="num">` per label, in order. */
export function NumHeaders(props: { labels: readonly string[] }) {
  return (
    <>
      {props.labels.map((label) => (
        <th key={label} scope="col" class="num">
          {label}
        </th>
      ))}
    </>
  );
}
