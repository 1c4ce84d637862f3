/* g++ 12.2 / gcc 12.2 wrong code: field-sensitive points-to analysis (tree-ssa-structalias.cc)
   drops a pointer sub-field when an aggregate is copied out of the middle of a local struct
   through a MEM_REF (here: *(struct op *)((char *)&a + offsetof(struct map, op))).
   Valid C and C++.  Expected output "1"; gcc -O2 prints "0".  */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct loss { float value; int *net; unsigned long batch; };           /* 24 bytes */
struct op { float rate, momentum; bool nesterov; float decay; int *net; }; /* net at byte 16 */
struct map { struct loss loss; struct op op; };                        /* op at byte 24 */

__attribute__((noinline)) void set_one(int *p) { *p = 1; }
/* Takes the address (so SRA leaves a and b in memory) without letting it escape. */
__attribute__((noinline)) float peek(const struct map *m) { return m->op.rate; }

__attribute__((noinline)) int run(int *q) {
    struct map a = {{0.5f, q, 16}, {0.05f, 0.9f, false, 1e-4f, q}};
    struct map b;
    peek(&a);
    b.loss = a.loss;
    b.op = *(struct op *)((char *)&a + offsetof(struct map, op)); /* == a.op */
    peek(&b);
    int *p = b.op.net; /* == q, but PTA says it points to nothing */
    int before = *p;
    set_one(p);        /* so this store is not seen as clobbering *p ... */
    return before * 10 + *p; /* ... and *p is not reloaded */
}

int main(void) {
    int x = 0;
    int r = run(&x);
    printf("%d\n", r);
    return r != 1;
}
