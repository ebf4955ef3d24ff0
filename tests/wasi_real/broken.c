#include <stdio.h>
int main(void) { printf("%d\n", undeclared + 1) return 0; }
