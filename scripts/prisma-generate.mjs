console.log("prisma generate: placeholder until db layer lands")
