/* Known positive for heap_nm_check.sh: an object that references the heap.
 * The check must flag it, or it proves nothing about the library's objects. */
#include <stdlib.h>

void *pop3_heap_probe(size_t n);

void *pop3_heap_probe(size_t n)
{
    return malloc(n);
}
